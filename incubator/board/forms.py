"""Forms of the board: moving a card, closing, pausing or reopening a project."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form, NullableSelectField, RequiredWhen, strip
from ..i18n import localized
from ..labels import OUTCOME_LABELS
from ..projects.forms import jobs_created_field
from ..referrals.forms import partner_select_choices
from ..referrals.queries import partner_choices


class MoveForm(Form):
    stage_id = NullableSelectField(
        _l("Move to stage"), validators=[DataRequired(_l("Choose a stage."))],
    )
    position = IntegerField(
        _l("Position in the column"),
        validators=[Optional(), NumberRange(min=1, max=100_000,
                                            message=_l("Enter a position from 1 upwards."))],
        description=_l("1 puts the project at the top; leave empty for the end of the column."),
        render_kw={"inputmode": "numeric"},
    )
    # Set by drag and drop: the card the project was dropped under (0: the top).
    after_id = IntegerField(validators=[Optional()])
    comment = TextAreaField(
        _l("Comment"), filters=[strip], validators=[Length(max=2000)],
        description=_l("Why the project moves: required when it goes back a stage."),
    )
    version = IntegerField(validators=[InputRequired()])
    next = HiddenField()

    def set_stages(self, stages) -> None:
        # Kept on the form: the session's identity map holds objects weakly, and the move
        # service looks the stages up again (no second SELECT while they are alive).
        self.stages = list(stages)
        self.stage_id.choices = [SelectChoice(str(s.id), localized(s)) for s in self.stages]


class CloseForm(Form):
    outcome = SelectField(
        _l("Outcome"),
        choices=[SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()],
    )
    reason = TextAreaField(
        _l("Reason"), filters=[strip],
        validators=[DataRequired(_l("Say in a few words why the project is closed.")),
                    Length(max=2000)],
    )
    # A project redirected to another support body: which one (a referral is recorded,
    # docs/referrals.md), chosen among the partners or named when not in the list yet.
    partner_id = NullableSelectField(
        _l("Redirected to"),
        validators=[RequiredWhen(
            lambda form: form.outcome.data == "redirected" and not form.new_partner.data,
            _l("Choose the body the project is redirected to, or enter its name."))],
        description=_l("If redirected: the support body that takes the project on."),
    )
    new_partner = StringField(
        _l("Or a body not in the list"), filters=[strip], validators=[Length(max=200)],
        description=_l("If redirected and the body is not in the list: its name (it is "
                       "added to the partners)."),
        render_kw={"maxlength": 200, "autocomplete": "off"},
    )
    # A project launched: the jobs it created, in full-time equivalents (optional: often
    # known later, then entered from the project's edit form).
    jobs_created = jobs_created_field()
    version = IntegerField(validators=[InputRequired()])
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id.choices = partner_select_choices(partner_choices(), _("Choose…"))


class PauseForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), filters=[strip], validators=[Length(max=2000)])
    version = IntegerField(validators=[InputRequired()])
    next = HiddenField()


class ReopenForm(Form):
    version = IntegerField(validators=[InputRequired()])
