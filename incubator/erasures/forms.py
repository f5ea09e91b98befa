"""The confirmation of an erasure: the person's name typed again, the documents to keep,
the preview's fingerprint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, strip
from ..params import parse_int
from ..text import search_key


class ErasureForm(Form):
    """``keep``: ids of the documents the pole keeps (checked boxes), offered from the
    preview (``offer``); ``name``: the person's name typed again, compared ignoring case,
    accents and spaces (``confirms``)."""

    keep = SelectMultipleField(_l("Documents the pole must keep"), choices=[],
                               option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
                               validate_choice=False)
    name = StringField(_l("Type the person's name to confirm"),
                       filters=[strip], validators=[DataRequired(), Length(max=120)])
    fingerprint = HiddenField(validators=[Length(max=64)])

    def offer(self, documents: list[tuple[int, str, int]]) -> None:
        """The documents to decide on: one box each, unchecked (removed) by default."""
        self.keep.choices = [(str(doc_id), filename) for doc_id, filename, _project in documents]

    def kept_ids(self) -> set[int]:
        """The checked documents' ids among those offered (anything else is ignored)."""
        offered = {value for value, _label in self.keep.choices}
        return {number for raw in (self.keep.data or []) if raw in offered
                if (number := parse_int(raw)) is not None}

    def confirms(self, name: str) -> bool:
        return " ".join(search_key(self.name.data or "").split()) == " ".join(
            search_key(name).split())
