"""The upload form of the imports page, and the column mapping read from a request."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from ..forms import Form
from .mapping import FIELDS, IGNORE, guess_mapping


class UploadForm(Form):
    file = FileField(_l("Spreadsheet or Sirene extract"),
                     validators=[FileRequired(_l("Choose a file to import."))])


def column_field(index: int) -> str:
    """The name of the request field that maps column ``index``."""
    return f"column-{index}"


def mapping_from(source: Mapping[str, str], header: list[str]) -> list[str]:
    """The field chosen for each column in ``source`` (query string or form), the guess
    from the header for a column it does not name; an unknown field means "ignore"."""
    guessed = guess_mapping(header)
    mapping = []
    for index in range(len(header)):
        chosen = source.get(column_field(index))
        if chosen is None:
            mapping.append(guessed[index])
        else:
            mapping.append(chosen if chosen in FIELDS else IGNORE)
    return mapping
