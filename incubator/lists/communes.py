"""The communes reference imported from a file (/admin/lists/communes): read, preview,
apply.

Accepted files: INSEE's Code officiel géographique communes file (``v_commune_AAAA.csv``:
``TYPECOM``, ``COM``, ``LIBELLE``…; only ``TYPECOM = COM`` rows are communes, the
associated and delegated ones share their parent's code) and the file the application
ships (``incubator/data/communes-pays-de-redon.csv``: ``code``, ``nom``, ``codesPostaux``,
``codeEpci``, ``nomEpci``, ``latitude``, ``longitude``, as geo.api.gouv.fr exports them).
The upload goes through the imports' reading (``imports.reading.read_table``: size
checked by the route, UTF-8 or Windows-1252 as INSEE's older exports, delimiter sniffed)
and is kept between the preview and the confirmation (``imports.store``).

Applying upserts by INSEE code (``mentoring.services.import_communes``) and writes only
the columns the file has: an INSEE file, which has no postcodes nor coordinates, never
blanks those of a commune already known. Nothing is ever deleted, so communes used by
records stay.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..imports.reading import FileRefused, Table
from ..mentoring.services import COMMUNE_COLUMNS, import_communes
from ..models import Commune, User
from ..text import search_key
from .services import record

# A commune's INSEE code: 5 characters, digits, or 2A / 2B for Corsica.
_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_TYPE_COLUMN = "typecom"
FIELD_MAX = {"name": 100, "postcodes": 60, "epci_code": 9, "epci_name": 150}


@dataclass
class Preview:
    """What applying the file would do: the rows read (Commune's columns present in the
    file), and counts. ``errors``: (line number, message), the lines left out."""

    rows: list[dict] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    skipped: int = 0  # INSEE rows that are not communes (associated, delegated…)


def _key(name: str) -> str:
    return search_key(name).replace(" ", "").replace("-", "").replace(".", "_").replace("_", "")


def _columns(header: list[str]) -> dict[str, int]:
    """Where each of Commune's columns is in ``header`` (the first matching name)."""
    keys = [_key(cell) for cell in header]
    where: dict[str, int] = {}
    for name, aliases in {**COMMUNE_COLUMNS, _TYPE_COLUMN: (_TYPE_COLUMN,)}.items():
        wanted = {_key(alias) for alias in aliases}
        for index, key in enumerate(keys):
            if key in wanted:
                where[name] = index
                break
    return where


def read(table: Table) -> Preview:
    """The communes of ``table`` compared with the reference. Raises FileRefused (422)
    when the code or name column is missing."""
    where = _columns(table.header)
    missing = [name for name in ("insee_code", "name") if name not in where]
    if missing:
        names = {"insee_code": _("the INSEE code (COM or code)"),
                 "name": _("the name (LIBELLE or nom)")}
        raise FileRefused(_("The file lacks the column of %(columns)s. Its first line must "
                            "name the columns, as INSEE's file does.",
                            columns=", ".join(str(names[name]) for name in missing)))
    preview = Preview()
    seen: set[str] = set()
    for line, cells in table.rows:
        def cell(name: str, cells: list[str] = cells) -> str:
            index = where.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if _TYPE_COLUMN in where and cell(_TYPE_COLUMN).upper() not in ("COM", ""):
            preview.skipped += 1
            continue
        code, name = cell("insee_code").upper(), cell("name")
        if not _CODE.match(code):
            preview.errors.append((line, _("“%(code)s” is not an INSEE commune code (5 "
                                           "characters).", code=code)))
            continue
        if not name:
            preview.errors.append((line, _("The commune %(code)s has no name.", code=code)))
            continue
        if code in seen:
            preview.errors.append((line, _("The commune %(code)s is already on an earlier "
                                           "line.", code=code)))
            continue
        row: dict = {"insee_code": code}
        problem = None
        for column, limit in FIELD_MAX.items():
            if column in where:
                value = cell(column)
                if column == "postcodes":
                    value = " ".join(value.replace(",", " ").replace("|", " ").split())
                if len(value) > limit:
                    problem = _("A value of the commune %(code)s is too long (%(value)s).",
                                code=code, value=value[:40])
                row[column] = value
        for axis in ("latitude", "longitude"):
            if axis in where:
                text = cell(axis).replace(",", ".")
                try:
                    row[axis] = float(text) if text else None
                except ValueError:
                    problem = _("The coordinates of the commune %(code)s are not numbers.",
                                code=code)
        if problem:
            preview.errors.append((line, problem))
            continue
        seen.add(code)
        preview.rows.append(row)
    _compare(preview)
    return preview


def _compare(preview: Preview) -> None:
    """Count new, changed and unchanged communes (one query per 500 codes)."""
    codes = [row["insee_code"] for row in preview.rows]
    known: dict[str, Commune] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        known.update((c.insee_code, c) for c in db.session.scalars(
            select(Commune).where(Commune.insee_code.in_(chunk))))
    for row in preview.rows:
        commune = known.get(row["insee_code"])
        if commune is None:
            preview.new += 1
        elif any(getattr(commune, name) != value for name, value in row.items()):
            preview.changed += 1
        else:
            preview.unchanged += 1


def apply(preview: Preview, by: User, filename: str) -> tuple[int, int]:
    """Write the previewed communes (added or updated by INSEE code; none deleted) and
    record the import. Returns (created, updated). Flushes."""
    created = updated = 0
    for start in range(0, len(preview.rows), 500):
        done = import_communes(preview.rows[start:start + 500])
        created, updated = created + done[0], updated + done[1]
    # The counts as data (JSON), put into words in the reader's language when shown.
    record("communes", "imported", by, None, json.dumps(
        {"file": filename, "new": created, "changed": updated,
         "unchanged": preview.unchanged, "errors": len(preview.errors)}, ensure_ascii=False))
    db.session.flush()
    return created, updated
