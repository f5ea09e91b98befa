"""Reads of supports: the project page's « Soutiens » section (each support with its
partner, status history and the totals per status), one support, the partners a support
may be given by, and the granted funding of the board's cards.

Every read costs a fixed number of SQL statements: the supports with their partner (and
its organisation) in one query, their status changes (and who made them) in one more,
whatever their number; the board's amounts in one grouped query for all its cards.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import BindParameter, Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    Partner,
    Project,
    Support,
    SupportStatus,
    SupportStatusChange,
    User,
)
from ..numbers import local_number
from ..permissions import sees_support_comments
from ..text import sorted_french
from ..timeline import TimelineEntry

#: The statuses the totals are given for, in the order a support goes through them.
TOTAL_STATUSES = ("envisaged", "requested", "granted", "refused", "paid")
#: Funding obtained: granted, and granted then paid.
GRANTED = (SupportStatus.GRANTED.value, SupportStatus.PAID.value)


@dataclass
class SupportsSection:
    """A project's supports (by status date, newest first) and the sum of their current
    amounts per status, in exact integer cents."""

    supports: list[Support]
    totals: dict[str, int] = field(default_factory=dict)
    comments: bool = False  # the reader sees comments and who changed a status
    partner_links: bool = False  # partner pages exist and the reader may open them

    @property
    def granted_cents(self) -> int:
        return sum(self.totals.get(status, 0) for status in GRANTED)

    @staticmethod
    def amount_input(support: Support) -> str:
        """The support's amount as the status form proposes it ("12 500,5" in French)."""
        cents = support.amount_cents
        if cents is None:
            return ""
        return local_number(Decimal(cents) / 100, decimals=0 if cents % 100 == 0 else 2)


def _partner_loaded(statement):
    return statement.options(joinedload(Support.partner).joinedload(Partner.organisation))


def totals_of(supports: Collection[Support]) -> dict[str, int]:
    """Per status, the sum of the supports' current amounts (integer cents: exact)."""
    totals = dict.fromkeys(TOTAL_STATUSES, 0)
    for support in supports:
        if support.amount_cents is not None:
            totals[support.status] += support.amount_cents
    return totals


def partner_pages() -> bool:
    """True when the partners blueprint (issue 11, another part) is there to link to."""
    return "partners.show" in current_app.view_functions


def project_supports(user: User, project: Project) -> SupportsSection:
    """The project's supports with their partner and status history: two statements (the
    history's authors joined in the second, for staff only)."""
    comments = sees_support_comments(user, project)
    changes = selectinload(Support.changes)
    if comments:
        changes = changes.joinedload(SupportStatusChange.changed_by)
    supports = list(db.session.scalars(_partner_loaded(
        select(Support).where(Support.project_id == project.id).options(changes)
        .order_by(Support.status_on.desc(), Support.id.desc()))).unique())
    return SupportsSection(supports, totals_of(supports), comments,
                           comments and partner_pages())


def section(user: User, project: Project) -> dict[str, Any]:
    """What the project page's « Soutiens » section shows (its forms are built by the page,
    see ``supports.forms.section_forms``)."""
    return {"supports": project_supports(user, project)}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """None of its own: adds, status moves, changes and deletions are ProjectEvents, which
    the project's own history reads (``projects.queries.timeline_entries``)."""
    return []


def support_of(project_id: int, support_id: int) -> Support | None:
    """The support with its partner, if it belongs to that project."""
    return db.session.scalars(_partner_loaded(select(Support).where(
        Support.id == support_id, Support.project_id == project_id))).unique().one_or_none()


def partner_choices(keep: int | None = None) -> list[Partner]:
    """The partners a support may be given by: not archived (and ``keep``, the support's
    current one, even if archived since), with their organisation, in French order of the
    names shown. One statement."""
    condition = Partner.archived_at.is_(None)
    if keep is not None:
        condition = condition | (Partner.id == keep)
    partners = db.session.scalars(
        select(Partner).where(condition).options(joinedload(Partner.organisation)))
    return sorted_french(partners, key=lambda p: p.display_name)


def partner_by_id(partner_id: int) -> Partner | None:
    """A partner with its organisation (for its name)."""
    return db.session.scalars(select(Partner).where(Partner.id == partner_id).options(
        joinedload(Partner.organisation))).one_or_none()


def granted_funding(project_ids: Collection[int]) -> dict[int, int]:
    """Per project: the granted funding in cents (amounts of its supports granted or paid),
    in one grouped query whatever the number of cards; projects without any are left out."""
    if not project_ids:
        return {}
    rows = db.session.execute(granted_funding_statement(project_ids))
    return {project_id: int(total) for project_id, total in rows if total}


def granted_funding_statement(project_ids: Collection[int] | BindParameter) -> Select:
    """``granted_funding``'s grouped query, for a caller that sends it with others in one
    statement (the board's card marks, built once with a bind parameter): rows (project
    id, cents granted or paid)."""
    ids = project_ids if isinstance(project_ids, BindParameter) else list(project_ids)
    return (
        select(Support.project_id, func.sum(Support.amount_cents))
        .where(Support.project_id.in_(ids), Support.status.in_(GRANTED),
               Support.amount_cents.is_not(None))
        .group_by(Support.project_id))
