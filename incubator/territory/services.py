"""Writes of the territory key figures: the territory's salaried jobs of a year, entered
and corrected by managers (flushed, never committed: the route commits)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import TerritoryEmployment, User, utcnow
from ..versions import save_version


class YearTaken(ValueError):
    """Another entry has that year already (one figure a year); ``str()`` is the message."""


def _taken(year: int) -> str:
    return _("The salaried jobs of %(year)s are already entered: correct that year's "
             "figure instead.", year=year)


def create_employment(author: User | None, *, year: int, salaried_jobs: int,
                      source: str) -> TerritoryEmployment:
    """A year's salaried jobs with its source. Raises YearTaken when the year is entered
    already (the unique index decides between two managers saving at once)."""
    entry = TerritoryEmployment(year=year, salaried_jobs=salaried_jobs, source=source,
                                entered_by_id=author.id if author else None)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise YearTaken(_taken(year)) from None
    return entry


def update_employment(entry: TerritoryEmployment, seen_version: int | None, *, year: int,
                      salaried_jobs: int, source: str) -> None:
    """Correct a year's figure if nobody changed it since ``seen_version`` (raises
    versions.StaleVersion otherwise, YearTaken when moved onto a year entered already)."""
    try:
        with db.session.begin_nested():
            save_version(entry, seen_version, year=year, salaried_jobs=salaried_jobs,
                         source=source, updated_at=utcnow())
    except IntegrityError:
        raise YearTaken(_taken(year)) from None
