"""Forms of the reference lists: an item's names (add, rename with its version), a move,
retire / bring back, and the communes file (upload, then apply the preview)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length
from wtforms.widgets import HiddenInput

from ..forms import Form, at_most, strip

DESCRIPTION_MAX = 2000


class ItemForm(Form):
    """An item's French and English names (and a criterion's description)."""

    name = StringField(_l("Name (French)"), filters=[strip],
                       validators=[InputRequired(_l("Enter the French name.")), at_most(80)],
                       render_kw={"maxlength": 80})
    name_en = StringField(_l("Name (English)"), filters=[strip], validators=[at_most(80)],
                          render_kw={"maxlength": 80})
    description = TextAreaField(_l("Description"), filters=[strip],
                                validators=[at_most(DESCRIPTION_MAX)],
                                render_kw={"maxlength": DESCRIPTION_MAX, "rows": 2})

    def fit(self, name_max: int, has_description: bool) -> ItemForm:
        """Adapt the form to its list: the name's length, a description or none."""
        for field in (self.name, self.name_en):
            field.validators = [v for v in field.validators if not hasattr(v, "max")]
            field.validators.append(at_most(name_max))
            field.render_kw = {"maxlength": name_max}
        if not has_description:
            del self.description
        return self

    def values(self) -> dict:
        values = {"name": self.name.data, "name_en": self.name_en.data or ""}
        if "description" in self:
            values["description"] = self.description.data or ""
        return values


class RenameForm(ItemForm):
    # The version the manager read: a newer one in the database means a conflict (409).
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def seen_version(self) -> int | None:
        """As ``Form.seen_version``, under the form's prefix (one rename form per item)."""
        return self.version.data if self.version.name in request.form else None


class MoveForm(Form):
    direction = HiddenField(validators=[InputRequired(), AnyOf(["up", "down"])])
    # The list's ids in the order the page showed ("3,1,2"): a move from a stale page (two
    # tabs, another manager) is refused instead of moving the item a second place.
    order = HiddenField(validators=[InputRequired(), Length(max=5000)])


class ActiveForm(Form):
    """Retire (``active=0``) or bring back (``active=1``): the result the button promised,
    so a second press from a stale page changes nothing."""

    active = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


class DeleteForm(Form):
    """Delete an item (the confirmation's form): the version the page showed."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class CommunesUploadForm(Form):
    file = FileField(_l("Communes file (CSV)"),
                     description=_l("INSEE's Code officiel géographique communes file, or the "
                                    "file the application ships (code, nom, codesPostaux…)."))


class CommunesApplyForm(Form):
    """Apply the previewed file (its kept upload's token)."""

    token = HiddenField(validators=[InputRequired()])
