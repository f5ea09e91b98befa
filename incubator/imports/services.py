"""Imports of organisations: the plan a preview shows, the import that carries it out in one
transaction, and its undo (docs/members.md, "Imports").

``plan`` reads every row of an uploaded table and says what importing it would do, writing
nothing: created, updated (with the fields that change), unchanged, refused (with the
reasons) or skipped (a closed Sirene establishment). Existing organisations are found with
one query: by SIRET (a SIREN of 9 digits matches the SIRETs that begin with it), else by
normalised name (``search_key``) and commune. An empty cell never erases a field.

``run_import`` computes the plan again inside the transaction (the directory may have
changed since the preview), writes it, and records the ``OrganisationImport`` with one
``OrganisationImportChange`` per organisation touched: the previous values of the fields
it changed and the version after. ``undo_import`` puts them back, or refuses with the list
of organisations that changed since (their version moved) or that something now links.
Services flush and never commit: the route commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from ..extensions import db
from ..members.services import links_of
from ..models import (
    Commune,
    Organisation,
    OrganisationContact,
    OrganisationFamily,
    OrganisationImport,
    OrganisationImportChange,
    User,
    utcnow,
)
from ..text import search_key, sorted_french
from ..versions import StaleVersion, save_version
from .mapping import FIELDS, RowValues, is_known_category, row_values, sirene_values
from .reading import Table

CREATED, UPDATED, UNCHANGED, REFUSED, SKIPPED = (
    "created", "updated", "unchanged", "refused", "skipped")
OUTCOMES = (CREATED, UPDATED, UNCHANGED, REFUSED, SKIPPED)
SPREADSHEET, SIRENE = "spreadsheet", "sirene"


class AlreadyUndone(Exception):
    """The import was undone before."""


@dataclass
class UndoRefused(Exception):
    """Organisations the undo cannot put back: (name, why) pairs."""

    blockers: list[tuple[str, str]]


@dataclass
class RowPlan:
    """What importing one row would do."""

    line: int
    outcome: str
    name: str
    values: dict = field(default_factory=dict)  # written: all given (created), changed (updated)
    reasons: list[str] = field(default_factory=list)
    organisation_id: int | None = None


@dataclass
class Plan:
    """What importing a whole table would do: its rows, their counts, and for a Sirene
    extract how many legal categories gave no ESS family ("other")."""

    kind: str
    rows: list[RowPlan]
    counts: Counter
    other_categories: int = 0


def _index(organisations: list[Organisation]) -> dict[str, dict]:
    by_siret: dict[str, list[Organisation]] = {}
    by_siren: dict[str, list[Organisation]] = {}
    by_name_commune: dict[tuple[str, str], list[Organisation]] = {}
    by_name: dict[str, list[Organisation]] = {}
    for organisation in organisations:
        if organisation.siret:
            by_siret.setdefault(organisation.siret, []).append(organisation)
            if len(organisation.siret) == 14:
                by_siren.setdefault(organisation.siret[:9], []).append(organisation)
        by_name_commune.setdefault((organisation.name_key, organisation.commune_key),
                                   []).append(organisation)
        by_name.setdefault(organisation.name_key, []).append(organisation)
    return {"siret": by_siret, "siren": by_siren, "name_commune": by_name_commune,
            "name": by_name}


def _match(values: dict, index: dict) -> tuple[Organisation | None, str | None]:
    """The existing organisation ``values`` describe, or (None, why) when several could."""
    siret = values.get("siret", "")
    candidates: list[Organisation] = []
    if siret:
        candidates = index["siret"].get(siret, [])
        if not candidates and len(siret) == 14:
            candidates = index["siret"].get(siret[:9], [])
        if not candidates and len(siret) == 9:
            candidates = index["siren"].get(siret, [])
    if not candidates:
        name_key = search_key(values.get("name"))
        commune_key = search_key(values.get("commune"))
        if commune_key:
            candidates = (index["name_commune"].get((name_key, commune_key))
                          or index["name_commune"].get((name_key, ""), []))
        else:
            candidates = index["name"].get(name_key, [])
        # An organisation known by another SIRET is another establishment.
        if siret:
            candidates = [c for c in candidates if not c.siret or c.siret[:9] == siret[:9]]
    if len(candidates) > 1:
        names = ", ".join(sorted_french({c.name for c in candidates})[:3])
        return None, _("Matches several organisations of the directory (%(names)s): give "
                       "its SIRET to tell which.", names=names)
    return (candidates[0] if candidates else None), None


def read_rows(table: Table, mapping: list[str] | None) -> tuple[str, list[RowValues]]:
    """Each row of ``table`` read: a Sirene extract by its columns (``mapping`` None), a
    pole's spreadsheet by ``mapping``."""
    if mapping is None:
        codes = {cells[index].strip() for _line, cells in table.rows
                 for index, name in enumerate(table.header)
                 if name.strip().lower() == "codecommuneetablissement" and index < len(cells)}
        names = dict(db.session.execute(
            select(Commune.insee_code, Commune.name).where(Commune.insee_code.in_(codes))
        ).all()) if codes else {}
        return SIRENE, [sirene_values(cells, table.header, names) for _line, cells in table.rows]
    return SPREADSHEET, [row_values(cells, mapping) for _line, cells in table.rows]


def plan(table: Table, mapping: list[str] | None, *, archive_closed: bool = False) -> Plan:
    """What importing ``table`` would do, row by row (nothing written). ``mapping`` is the
    field of each column (None: a Sirene extract, read by its column names);
    ``archive_closed``: closed Sirene establishments already in the directory are archived
    instead of skipped."""
    kind, read = read_rows(table, mapping)
    index = _index(list(db.session.scalars(select(Organisation))))
    seen_keys: dict[object, int] = {}
    rows: list[RowPlan] = []
    other = 0
    for (line, _cells), values in zip(table.rows, read, strict=True):
        name = values.values.get("name", "")
        if values.problems:
            rows.append(RowPlan(line, REFUSED, name, reasons=values.problems))
            continue
        organisation, ambiguous = _match(values.values, index)
        if ambiguous:
            rows.append(RowPlan(line, REFUSED, name, reasons=[ambiguous]))
            continue
        keys = [("id", organisation.id)] if organisation else []
        if values.values.get("siret"):
            keys.append(("siret", values.values["siret"]))
        keys.append(("name", search_key(name), search_key(values.values.get("commune"))))
        first = next((seen_keys[key] for key in keys if key in seen_keys), None)
        if first is not None:
            rows.append(RowPlan(line, REFUSED, name, reasons=[
                _("Duplicate of line %(line)d of the file.", line=first)]))
            continue
        for key in keys:
            seen_keys[key] = line
        if kind == SIRENE and values.values.get("legal_category") and \
                not is_known_category(values.values["legal_category"]) and \
                values.values.get("family") == OrganisationFamily.OTHER.value:
            other += 1
        if values.closed and not (archive_closed and organisation is not None):
            rows.append(RowPlan(line, SKIPPED, name, reasons=[
                _("Closed establishment (Sirene).")], organisation_id=getattr(
                    organisation, "id", None)))
            continue
        if organisation is None:
            rows.append(RowPlan(line, CREATED, name, values=values.values))
            continue
        changed = {key: value for key, value in values.values.items()
                   if _differs(key, getattr(organisation, key), value)}
        if values.closed and organisation.archived_at is None:
            changed["archived_at"] = utcnow()
        rows.append(RowPlan(line, UPDATED if changed else UNCHANGED, organisation.name,
                            values=changed, organisation_id=organisation.id))
    return Plan(kind, rows, Counter(row.outcome for row in rows), other)


def _differs(name: str, old, new) -> bool:
    """Whether writing ``new`` over ``old`` changes something: a name, commune or sector
    spelt with other accents or case is the same (the directory's spelling stays)."""
    if name in _SAME_BY_KEY:
        return search_key(old) != search_key(new)
    return old != new


_SAME_BY_KEY = {"name", "commune", "sector"}


def _json(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _from_json(name: str, value):
    if name == "archived_at" and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def run_import(author: User, table: Table, mapping: list[str] | None, filename: str, *,
               archive_closed: bool = False) -> OrganisationImport:
    """Import ``table`` (see ``plan``): create and update the organisations, record the
    import and what it did to each. One transaction (the route commits). Raises
    StaleVersion when another request changes a matched organisation meanwhile (nothing
    is then kept: the route rolls back)."""
    planned = plan(table, mapping, archive_closed=archive_closed)
    record = OrganisationImport(
        kind=planned.kind, filename=filename[:255], imported_by_id=author.id,
        created_count=planned.counts[CREATED], updated_count=planned.counts[UPDATED],
        unchanged_count=planned.counts[UNCHANGED], refused_count=planned.counts[REFUSED],
        skipped_count=planned.counts[SKIPPED],
        mapping={"columns": table.header,
                 "fields": mapping if mapping is not None else ["sirene"] * len(table.header),
                 "archive_closed": archive_closed})
    db.session.add(record)
    created = [Organisation(created_by_id=author.id, **row.values)
               for row in planned.rows if row.outcome == CREATED]
    for organisation in created:
        organisation.family = organisation.family or OrganisationFamily.OTHER.value
        organisation.mentoring_capacity = organisation.mentoring_capacity or 0
    db.session.add_all(created)
    db.session.flush()
    changes = [{"import_id": record.id, "organisation_id": o.id, "action": CREATED,
                "before": {}, "version_after": 1} for o in created]
    updated = [row for row in planned.rows if row.outcome == UPDATED]
    if updated:
        organisations = {o.id: o for o in db.session.scalars(select(Organisation).where(
            Organisation.id.in_([row.organisation_id for row in updated])))}
        for row in updated:
            organisation = organisations[row.organisation_id]
            before = {name: _json(getattr(organisation, name)) for name in row.values}
            version = save_version(organisation, organisation.version, updated_at=utcnow(),
                                   **row.values)
            changes.append({"import_id": record.id, "organisation_id": organisation.id,
                            "action": UPDATED, "before": before, "version_after": version})
    if changes:
        db.session.execute(insert(OrganisationImportChange), changes)
    db.session.flush()
    return record


def undo_import(record: OrganisationImport, actor: User) -> None:
    """Undo ``record``: delete the organisations it created, put back the fields it changed.
    Raises AlreadyUndone, or UndoRefused listing the organisations changed since (their
    version moved: edited, archived, imported again) or linked since (a mentorship…, contact
    people added), nothing changed then; StaleVersion when one changes during the undo."""
    if record.undone_at is not None:
        raise AlreadyUndone()
    changes = list(db.session.scalars(select(OrganisationImportChange).where(
        OrganisationImportChange.import_id == record.id,
        OrganisationImportChange.organisation_id.is_not(None))))
    ids = [change.organisation_id for change in changes]
    organisations = {o.id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    with_contacts = set(db.session.scalars(
        select(OrganisationContact.organisation_id).where(
            OrganisationContact.organisation_id.in_(
                [c.organisation_id for c in changes if c.action == CREATED])).distinct()))
    blockers: list[tuple[str, str]] = []
    for change in changes:
        organisation = organisations.get(change.organisation_id)
        if organisation is None:  # deleted since: nothing left to undo
            continue
        if organisation.version != change.version_after:
            blockers.append((organisation.name, _("changed since the import")))
        elif change.action == CREATED:
            links = links_of(organisation)
            if organisation.id in with_contacts:
                links.insert(0, _("contact people added"))
            if links:
                blockers.append((organisation.name, ", ".join(links)))
    if blockers:
        raise UndoRefused(blockers)
    for change in changes:
        organisation = organisations.get(change.organisation_id)
        if organisation is None:
            continue
        if change.action == UPDATED:
            values = {name: _from_json(name, value) for name, value in change.before.items()
                      if name in (*FIELDS, "archived_at")}
            save_version(organisation, change.version_after, updated_at=utcnow(), **values)
    created = [c.organisation_id for c in changes if c.action == CREATED
               and c.organisation_id in organisations]
    if created:
        db.session.execute(update(OrganisationImportChange).where(
            OrganisationImportChange.organisation_id.in_(created)).values(organisation_id=None))
        result = db.session.execute(delete(Organisation).where(
            Organisation.id.in_(created), Organisation.version == 1
        ).execution_options(synchronize_session=False))
        if result.rowcount != len(created):
            raise StaleVersion()
        for organisation_id in created:
            db.session.expunge(organisations[organisation_id])
    record.undone_at = utcnow()
    record.undone_by_id = actor.id
    db.session.flush()

