"""The idea form: saved as a draft with a title alone, submitted once complete."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..auth.forms import email_field
from ..forms import (
    Form,
    LazyText,
    LocalDecimalField,
    NullableSelectField,
    RequiredWhen,
    local_number,
    strip,
)
from ..i18n import localized
from ..models import Project, ProjectKind, User
from ..permissions import can_manage_people
from ..reference import staff_members


def _submitting(form: ProjectForm) -> bool:
    button = getattr(form, "submit_idea", None)  # absent once the idea is submitted
    return bool(button is not None and button.data)


def _required(message):
    return RequiredWhen(_submitting, message)


JOBS_CREATED_LABEL = _l("Jobs created (full-time equivalent)")
JOBS_CREATED_RANGE = _l("Enter a number between 0 and 9999.")


def jobs_created_field() -> LocalDecimalField:
    """The jobs a launched project created, in full-time equivalents typed the French way
    ("2,5"): the close form's and, once closed as launched, the project's edit form's."""
    return LocalDecimalField(
        JOBS_CREATED_LABEL,
        validators=[Optional(), NumberRange(min=0, max=9999, message=JOBS_CREATED_RANGE)],
        description=LazyText(lambda: _(
            "Optional. For example %(example)s for two full-time jobs and one half-time job.",
            example=local_number(2.5))),
        places=2,
        example=lambda: local_number(0.75),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class ProjectForm(Form):
    title = StringField(
        _l("Project name"),
        filters=[strip],
        validators=[DataRequired(_l("Give your project a name, even a provisional one.")),
                    Length(max=160)],
        description=_l("A provisional name is fine."),
    )
    pitch = TextAreaField(
        _l("Your idea in a few sentences"),
        filters=[strip],
        validators=[_required(_l("Describe your idea in a few sentences.")), Length(max=600)],
        description=_l("What you want to do, for whom, where. 600 characters at most."),
    )
    need = TextAreaField(
        _l("Need addressed"),
        filters=[strip],
        validators=[_required(_l("Say which need of the territory the project answers.")),
                    Length(max=4000)],
        description=_l("Which need of the territory does the project answer? How do you know?"),
    )
    target_public = TextAreaField(
        _l("Target public"),
        filters=[strip],
        validators=[_required(_l("Say who the project is for.")), Length(max=2000)],
        description=_l("Who will benefit: inhabitants, families, young people, companies…"),
    )
    planned_activity = TextAreaField(
        _l("Planned activity"),
        filters=[strip],
        validators=[_required(_l("Describe the activity you plan.")), Length(max=4000)],
        description=_l("What the structure will do or sell, and how."),
    )
    theme_id = NullableSelectField(
        _l("Theme"),
        validators=[_required(_l("Choose the theme closest to your project."))],
    )
    commune = StringField(
        _l("Commune"),
        filters=[strip],
        validators=[_required(_l("Say in which commune the project is based.")),
                    Length(max=100)],
        description=_l("Where the project will be based."),
        render_kw={"list": "commune-suggestions", "autocomplete": "off"},
    )
    kind = RadioField(
        _l("Individual or collective project"),
        choices=[
            SelectChoice(ProjectKind.INDIVIDUAL.value, _l("Individual: I carry it alone for now")),
            SelectChoice(ProjectKind.COLLECTIVE.value, _l("Collective: we are several to carry it")),
        ],
        validators=[_required(_l("Say whether you carry the project alone or with others."))],
    )
    legal_form_id = NullableSelectField(_l("Envisaged legal form"), validators=[Optional()])
    jobs_envisaged = LocalDecimalField(
        _l("Envisaged jobs (full-time equivalent)"),
        validators=[Optional(), NumberRange(min=0, max=999,
                                            message=_l("Enter a number between 0 and 999."))],
        description=LazyText(lambda: _(
            "For example %(example)s for one full-time and one half-time job.",
            example=local_number(1.5))),
        places=2,  # FTE: 0,75 or 2,25 is the usual precision
        example=lambda: local_number(0.75),
        render_kw={"inputmode": "decimal"},
    )
    funding_need = LocalDecimalField(
        _l("Funding need (EUR)"),
        validators=[Optional(), NumberRange(min=0, max=100_000_000,
                                            message=_l("Enter an amount between 0 and 100 million euros."))],
        description=LazyText(lambda: _(
            "Your first estimate of what is needed to start, for example %(example)s.",
            example=local_number(25000))),
        places=2,  # stored in cents
        example=lambda: local_number(2500.5, decimals=2),
        render_kw={"inputmode": "decimal"},
    )
    # Shown only for a project closed as launched (``projects.routes._form`` removes it).
    jobs_created = jobs_created_field()
    # The version the editor's form was rendered from (editing only): a newer one in the
    # database means someone changed the project since (409, input kept).
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    save_draft = SubmitField(_l("Save as draft"))
    submit_idea = SubmitField(_l("Submit my idea to the pole"))

    def set_choices(self, themes, legal_forms) -> None:
        self.theme_id.choices = [SelectChoice("", _("— Choose —"))] + [
            SelectChoice(str(t.id), localized(t)) for t in themes
        ]
        self.legal_form_id.choices = [SelectChoice("", _("Not decided yet / I don't know"))] + [
            SelectChoice(str(f.id), localized(f)) for f in legal_forms
        ]


class AdvisorForm(Form):
    """Assign the project's advisor in place."""

    # Any id is accepted here: the service says why someone may not advise (a holder, an
    # inactive account, an invitation still pending), which a "not a valid choice" cannot.
    advisor_id = NullableSelectField(_l("Advisor"), validators=[Optional()],
                                     validate_choice=False)
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def set_staff(self, staff) -> None:
        self.advisor_id.choices = [SelectChoice("", _("Not assigned"))] + [
            SelectChoice(str(person.id), person.name) for person in staff
        ]


class HolderForm(Form):
    """Add a holder by e-mail: an existing account is linked, a new person invited."""

    email = email_field(_l("Holder's e-mail address"))
    name = StringField(_l("Name (for a new person)"), filters=[strip],
                       validators=[Length(max=120)])


class RemoveHolderForm(Form):
    """Remove a holder (a button with CSRF and the project's version)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def advisor_form(project: Project) -> AdvisorForm:
    """The advisor picker as the project stands (its advisor, its version)."""
    form = AdvisorForm(formdata=None, advisor_id=project.advisor_id, version=project.version)
    form.set_staff(staff_members())
    return form


def section_forms(user: User, project: Project) -> dict[str, Form | None]:
    """The people section's forms on the project page (None for who may not change them)."""
    if not can_manage_people(user, project):
        return {"advisor_form": None, "holder_form": None}
    return {"advisor_form": advisor_form(project), "holder_form": HolderForm(formdata=None)}
