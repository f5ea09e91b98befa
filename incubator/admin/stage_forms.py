"""Forms of the stage settings (/admin/stages): a stage's names, descriptions and limits;
where a new stage goes; the buttons that move, retire and bring back a stage."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..forms import Form, strip
from ..params import parse_int

NAME_MAX = 80  # models.Stage.name
DESCRIPTION_MAX = 1000
WIP_MAX = 1000
STALLED_MAX = 3650  # ten years, in days


def parse_ids(raw: str | None) -> list[int] | None:
    """``"3,1,2"`` → ``[3, 1, 2]``; None when any part is not an id (a forged page)."""
    if not raw:
        return None
    ids = [parse_int(part) for part in raw.split(",")]
    return None if any(i is None for i in ids) or len(ids) > 500 else ids  # type: ignore[return-value]


class StageForm(Form):
    """A stage's settings. The French name is required, the English one optional (the
    French is shown in English when empty); limits are positive whole numbers or empty."""

    name = StringField(_l("Name (French)"), filters=[strip], validators=[
        InputRequired(_l("Enter the stage's name in French.")), Length(max=NAME_MAX)])
    name_en = StringField(_l("Name (English)"), filters=[strip],
                          validators=[Length(max=NAME_MAX)],
                          description=_l("Optional: without it the English interface shows "
                                         "the French name."))
    description = TextAreaField(_l("Description (French)"), filters=[strip],
                                validators=[Length(max=DESCRIPTION_MAX)])
    description_en = TextAreaField(_l("Description (English)"), filters=[strip],
                                   validators=[Length(max=DESCRIPTION_MAX)])
    wip_limit = IntegerField(
        _l("WIP limit"), validators=[Optional(), NumberRange(
            min=1, max=WIP_MAX, message=_l("Enter a whole number from 1 to 1000, or leave "
                                           "empty for no limit."))],
        description=_l("How many projects the column should hold at most; empty: no limit."),
        render_kw={"inputmode": "numeric"})
    stalled_days = IntegerField(
        _l("Stalled after (days)"), validators=[Optional(), NumberRange(
            min=1, max=STALLED_MAX, message=_l("Enter a whole number of days from 1 to 3650, "
                                               "or leave empty for the default."))],
        description=_l("Days without activity after which a project of this stage is shown "
                       "as stalled; empty: the default."),
        render_kw={"inputmode": "numeric"})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def values(self) -> dict:
        """The settings as the service writes them."""
        return {"name": self.name.data, "name_en": self.name_en.data or "",
                "description": self.description.data or "",
                "description_en": self.description_en.data or "",
                "wip_limit": self.wip_limit.data, "stalled_days": self.stalled_days.data}


class AddStageForm(StageForm):
    """A new stage and its place: at the end (""), first ("0") or after a stage (its id)."""

    place = SelectField(_l("Place in the order"), validate_choice=True)

    def set_places(self, stages, label_of) -> AddStageForm:
        """The choices: the end, the start, after each active stage (``label_of(stage)``:
        its name in the reader's language)."""
        self.place.choices = [("", gettext("At the end")), ("0", gettext("First"))] + [
            (str(stage.id), label_of(stage)) for stage in stages]
        return self

    def after_id(self) -> int | None:
        """None: at the end; 0: first; else the id of the stage it follows."""
        return None if not self.place.data else parse_int(self.place.data, minimum=0)


class StageVersionForm(Form):
    """Retire a stage, or bring it back, from the version the page showed."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class StageMoveForm(Form):
    """« Up » / « Down » (the button's value) from the order the page showed."""

    direction = HiddenField(validators=[InputRequired(), AnyOf(["up", "down"])])
    order = HiddenField(validators=[InputRequired(), Length(max=5000)])


class StageOrderForm(Form):
    """Drag and drop: the new order and the one the page showed (ids, top first), and the
    stage that was dragged."""

    ids = HiddenField(validators=[InputRequired(), Length(max=5000)])
    order = HiddenField(validators=[InputRequired(), Length(max=5000)])
    moved_id = HiddenField(validators=[Optional(), Length(max=20)])
