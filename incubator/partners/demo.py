"""Demo data of the partners (issue 11): the partner bodies themselves are created with the
directory (``incubator.demo``); here they get a believable history, entered by the pole's
manager months ago, some changed since."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Partner, User


def demo_partner_history(now: datetime, manager: User | None) -> None:
    """Each demo partner entered by ``manager``, a week apart from about a year ago; every
    third one changed a month ago (flushed)."""
    partners = db.session.scalars(select(Partner).order_by(Partner.id)).all()
    for index, partner in enumerate(partners):
        created = now - timedelta(weeks=52 - index)
        partner.created_by_id = manager.id if manager else None
        partner.created_at = created
        partner.updated_at = now - timedelta(weeks=4) if index % 3 == 0 else created
    db.session.flush()
