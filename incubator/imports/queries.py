"""Reads of the imports' history: the list of past imports and what one import did."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Organisation, OrganisationImport, OrganisationImportChange, User

PER_PAGE = 20
CHANGES_PER_PAGE = 100


@dataclass
class ImportRow:
    """An import with the names of who ran and who undid it ("" when gone)."""

    record: OrganisationImport
    imported_by: str
    undone_by: str


@dataclass
class Page:
    """A page of rows, with what the pagination macro reads."""

    page: int
    per_page: int
    total: int
    items: list = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page(statement: Select, page: int, per_page: int) -> Page:
    """Rows (tuples) of ``statement`` for ``page``: a count and a page, two statements."""
    total = db.session.scalar(select(func.count()).select_from(
        statement.order_by(None).subquery())) or 0
    page = max(1, min(page, max(1, ceil(total / per_page))))
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(page, per_page, total, list(rows))


def _with_names():
    importer, undoer = aliased(User), aliased(User)
    return (select(OrganisationImport, importer.name, undoer.name)
            .outerjoin(importer, importer.id == OrganisationImport.imported_by_id)
            .outerjoin(undoer, undoer.id == OrganisationImport.undone_by_id))


def history_page(page: int):
    """One page of past imports, the latest first (a count and a page: two statements);
    items are ImportRow."""
    found = _page(_with_names().order_by(OrganisationImport.imported_at.desc(),
                                         OrganisationImport.id.desc()), page, PER_PAGE)
    found.items = [ImportRow(*row) for row in found.items]
    return found


def import_row(import_id: int) -> ImportRow | None:
    """The import ``import_id`` with its people's names (None when unknown)."""
    found = db.session.execute(
        _with_names().where(OrganisationImport.id == import_id)).one_or_none()
    return ImportRow(*found) if found else None


def changes_page(import_id: int, page: int):
    """One page of what the import did, organisation by organisation: rows of
    (change, organisation name or None when deleted since), in French name order."""
    statement = (select(OrganisationImportChange, Organisation.name)
                 .outerjoin(Organisation,
                            Organisation.id == OrganisationImportChange.organisation_id)
                 .where(OrganisationImportChange.import_id == import_id)
                 .order_by(Organisation.name_key, OrganisationImportChange.id))
    return _page(statement, page, CHANGES_PER_PAGE)


def import_record(import_id: int) -> OrganisationImport | None:
    """The import ``import_id`` (None when unknown)."""
    return db.session.get(OrganisationImport, import_id)
