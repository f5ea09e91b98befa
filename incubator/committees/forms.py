"""Forms of committees: a sitting (date, name with suggestions, place, notes), a seat (a
contact person, or a name with the body), a project's review (decision, a score per active
criterion, conditions, comments, sharing), the move after a decision."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import Form, NullableSelectField, RequiredWhen, at_most, strip
from ..labels import COMMITTEE_DECISION_LABELS
from ..models import SCORE_MAX, SCORE_MIN, CommitteeCriterion, CommitteeReview
from ..params import parse_int

#: Names offered for a new sitting, before those already used.
NAME_SUGGESTIONS = ("Comité de sélection", "Comité d’appui")
SCORE_RANGE = _l("Enter a score from 0 to 5.")


class SittingForm(Form):
    """A sitting: date, name (free text with suggestions), place, notes; the version seen
    when editing."""

    held_on = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))],
                        invalid_value_message=_l("Enter a date, for example 2025-03-31."))
    name = StringField(_l("Name"), filters=[strip],
                       validators=[InputRequired(_l("Name the committee.")), at_most(160)],
                       render_kw={"maxlength": 160, "list": "committee-names",
                                  "autocomplete": "off"})
    place = StringField(_l("Place"), filters=[strip], validators=[at_most(200)],
                        render_kw={"maxlength": 200})
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[at_most(5000)],
                          render_kw={"maxlength": 5000, "rows": 4})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def values(self) -> dict:
        return {"held_on": self.held_on.data, "name": self.name.data,
                "place": self.place.data or "", "notes": self.notes.data or ""}


class SeatForm(Form):
    """Someone sitting: ``person`` a contact person (``p<id>`` of a partner, ``o<id>`` of an
    organisation), or ``name`` with ``body`` (``p<id>`` / ``o<id>``, or none); a role."""

    person = SelectField(_l("Contact person"), choices=[], validate_choice=False)
    name = StringField(_l("Or a name"), filters=[strip], validators=[at_most(120)],
                       render_kw={"maxlength": 120, "autocomplete": "off"})
    body = SelectField(_l("Body"), choices=[], validate_choice=False)
    role = StringField(_l("Role on the committee"), filters=[strip],
                       validators=[at_most(120)], render_kw={"maxlength": 120})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.person.data and not self.name.data:
            self.person.errors.append(_("Choose a contact person or enter a name."))
            return False
        return valid

    def with_choices(self, choices) -> SeatForm:
        """The contact people and bodies of ``choices`` (queries.SeatChoices); names are
        plain text the select escapes."""
        none = SelectChoice("", "—")
        people = [none]
        bodies = [none]
        for partner in choices.partners:
            name = partner.display_name
            bodies.append(SelectChoice(f"p{partner.id}", name))
            people += [SelectChoice(f"p{c.id}", f"{c.name} ({name})") for c in partner.contacts]
        for organisation in choices.organisations:
            bodies.append(SelectChoice(f"o{organisation.id}", organisation.name))
            people += [SelectChoice(f"o{c.id}", f"{c.name} ({organisation.name})")
                       for c in organisation.contacts]
        self.person.choices = people
        self.body.choices = bodies
        return self


def split_choice(value: str | None) -> tuple[str, int] | None:
    """``("p", 12)`` for "p12", ``("o", 3)`` for "o3"; None for anything else."""
    if not value or value[0] not in "po":
        return None
    number = parse_int(value[1:])
    return None if number is None else (value[0], number)


class AgendaForm(Form):
    """Put a project on the agenda (chosen in the search)."""

    project_id = HiddenField(validators=[InputRequired()])


def _needs_conditions(form) -> bool:
    return form.decision.data == "go_conditions"


class ScoreField(IntegerField):
    """A score 0–5, or empty: anything else ("2,5", "abc", "6") gets one message saying
    what to type, not WTForms' "Not a valid integer value" followed by the range."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(SCORE_RANGE)) from None


def _score_range(form, field) -> None:
    if field.data is not None and not SCORE_MIN <= field.data <= SCORE_MAX:
        raise ValidationError(str(SCORE_RANGE))


class ReviewForm(Form):
    """A project's review; a score field per active criterion is added by ``for_criteria``
    (``score_<id>``)."""

    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("", _l("Not decided yet"))] + [
            SelectChoice(code, label) for code, label in COMMITTEE_DECISION_LABELS.items()])
    conditions = TextAreaField(
        _l("Conditions"), filters=[strip],
        validators=[RequiredWhen(_needs_conditions,
                                 _l("Write the conditions of a favourable decision with "
                                    "conditions.")), at_most(5000)],
        render_kw={"maxlength": 5000, "rows": 3})
    comments = TextAreaField(_l("Internal comments"), filters=[strip],
                             validators=[at_most(5000)],
                             render_kw={"maxlength": 5000, "rows": 3})
    shared = BooleanField(_l("Share the decision and conditions with the holders"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    @classmethod
    def for_criteria(cls, criteria: list[CommitteeCriterion],
                     review: CommitteeReview | None = None, **kwargs) -> ReviewForm:
        """The form with a score field per criterion of ``criteria`` (labelled with their
        names, which WTForms escapes), filled from ``review`` when given."""
        attributes = {}
        for criterion in criteria:
            attributes[f"score_{criterion.id}"] = ScoreField(
                criterion.name,
                validators=[Optional(), _score_range],
                render_kw={"inputmode": "numeric", "size": 3, "min": SCORE_MIN,
                           "max": SCORE_MAX, "autocomplete": "off"})
        form_class = type("ScoredReviewForm", (cls,), attributes)
        if review is not None and kwargs.get("formdata", True) is None:
            kwargs.update(decision=review.decision or "", conditions=review.conditions,
                          comments=review.comments, shared=review.shared_with_holders,
                          version=review.version)
            given = {s.criterion_id: s.score for s in review.scores}
            kwargs.update({f"score_{c.id}": given.get(c.id) for c in criteria})
        form = form_class(**kwargs)
        form.criteria = criteria
        return form

    def score_fields(self):
        return [(c, self[f"score_{c.id}"]) for c in self.criteria]

    def scores(self) -> dict[int, int | None]:
        return {c.id: self[f"score_{c.id}"].data for c in self.criteria}


class MoveForm(Form):
    """The one-click move after a decision: the stage, and the project's version seen."""

    stage_id = NullableSelectField(_l("Move to the stage"),
                                   validators=[InputRequired(_l("Choose a stage."))])
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
