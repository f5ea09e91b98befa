"""Demo data of the territory key figures (issue 12): the directory's organisations entered
over the last two years (so the year selector shows it growing) and the territory's
salaried jobs of 2024 as the pole's manager entered them (INSEE, Flores: 23 953)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Organisation, User
from .services import create_employment


def create_territory_figures(now: datetime, manager: User | None) -> None:
    """Back-date the demo organisations' entry in the directory, a few weeks apart from two
    years ago, and enter the territory's salaried jobs of 2024 (flushed)."""
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    for index, organisation in enumerate(organisations):
        organisation.created_at = now - timedelta(weeks=max(1, 104 - 5 * index))
    create_employment(manager, year=2024, salaried_jobs=23953, source="INSEE, Flores")
    db.session.flush()
