"""Forms of the notes: writing a note, editing it (with the version it was read at)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import Form, LazyText, strip
from ..i18n import localized
from ..i18n import pole_today as local_today
from ..models import Project, User, Visibility
from ..permissions import can_write_note, writes_for_mentors
from ..reference import note_kind_names, note_kinds

BODY_MAX = 20_000



class NoteKindLabels:
    """Every note kind's name by code in the interface's language (``note_kinds.get(code,
    code)`` in the templates), retired kinds too: old notes keep showing theirs. Reads the
    table on first use only, once per request (templates of other pages pay nothing)."""

    def get(self, code: str, default: str = "") -> str:
        kind = note_kind_names().get(code)
        return localized(kind) if kind is not None else default

    def __getitem__(self, code: str) -> str:
        return self.get(code, code)


NOTE_KIND_LABELS = NoteKindLabels()

VISIBILITY_LABELS = {
    Visibility.INTERNAL.value: _l("Internal (staff only)"),
    Visibility.SHARED.value: _l("Shared with the holders"),
}
# The same choice offered to a mentor: their internal notes are read by the project's
# mentors too (permissions.visible_notes).
MENTOR_VISIBILITY_LABELS = {
    Visibility.INTERNAL.value: _l("Internal (the pole's team and the project's mentors)"),
    Visibility.SHARED.value: _l("Shared with the holders"),
}


class NoteDateField(DateField):
    """An ISO date (what a date input sends), with our own message for a wrong one."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a valid date.")) from error


def not_in_the_future(form: FlaskForm, field: DateField) -> None:
    # One day of slack: the writer's evening may already be tomorrow for the server.
    if field.data is not None and field.data > local_today() + timedelta(days=1):
        raise ValidationError(_("The date cannot be in the future."))


class NoteForm(Form):
    # Choices: the active kinds (set when built), plus a retired one an edited note keeps.
    kind = SelectField(_l("Kind"), choices=[], default="meeting")
    happened_on = NoteDateField(
        _l("Date"), default=local_today,
        validators=[InputRequired(_l("Enter the date of the meeting, call or e-mail.")),
                    not_in_the_future],
    )
    body = TextAreaField(
        _l("Note"), filters=[strip],
        validators=[DataRequired(_l("Write the note.")),
                    Length(max=BODY_MAX, message=LazyText(lambda: ngettext(
                        "A note is at most %(num)d character.",
                        "A note is at most %(num)d characters.", BODY_MAX)))],
        description=_l("Plain text; line breaks are kept."),
        render_kw={"maxlength": BODY_MAX},
    )
    visibility = RadioField(
        _l("Who can read it"),
        choices=[SelectChoice(code, label) for code, label in VISIBILITY_LABELS.items()],
        default=Visibility.INTERNAL.value,
        validators=[InputRequired(_l("Choose who can read the note."))],
    )

    def __init__(self, *args, kept_kind: str | None = None, **kwargs) -> None:
        """``kept_kind``: the edited note's kind, offered even when retired since (saving
        the note unchanged must not lose it)."""
        super().__init__(*args, **kwargs)
        offered = note_kinds()
        codes = {kind.code for kind in offered}
        if kept_kind is not None and kept_kind not in codes:
            retired = note_kind_names().get(kept_kind)
            if retired is not None:
                offered.append(retired)
        self.kind.choices = [SelectChoice(kind.code, localized(kind)) for kind in offered]
        if current_user.is_authenticated and writes_for_mentors(current_user):
            self.visibility.choices = [SelectChoice(code, label)
                                       for code, label in MENTOR_VISIBILITY_LABELS.items()]

    def values(self) -> dict:
        return {"kind": self.kind.data, "happened_on": self.happened_on.data,
                "body": self.body.data, "visibility": self.visibility.data}


class NoteEditForm(NoteForm):
    # The version the writer started from: a newer one in the database means a conflict.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NoteDeleteForm(Form):
    """Delete a note: the version it was read at (one does not delete a text one has not
    seen)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def section_forms(user: User, project: Project) -> dict[str, NoteForm | None]:
    """The section's form on the project page: a blank note, or None for who may not write."""
    return {"note_form": NoteForm(formdata=None) if can_write_note(user, project) else None}
