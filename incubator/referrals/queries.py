"""Reads of referrals: the project page's « Orientations » section, one referral of a
project, the partners a form may choose from (French order), and a partner's referrals
both ways (``for_partner``, for the partner's page).

Every read costs a fixed number of SQL statements: referrals come with their partner and
the partner's organisation (its name is the partner's) in the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Organisation, Partner, Project, Referral, User
from ..models.keys import column_key
from ..permissions import visible_projects
from ..text import sorted_french
from ..timeline import TimelineEntry


def _with_partner(statement):
    return statement.options(joinedload(Referral.partner).joinedload(Partner.organisation))


def project_referrals(project: Project) -> list[Referral]:
    """The project's referrals, both ways, latest first, with their partner: one query."""
    return list(db.session.scalars(_with_partner(
        select(Referral).where(Referral.project_id == project.id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc()))))


def section(user: User, project: Project) -> dict[str, Any]:
    """What the project page's « Orientations » section shows (one statement)."""
    return {"referrals": project_referrals(project)}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """None of its own: additions, changes and deletions are ProjectEvents, which the
    project's own history reads (``projects.queries.timeline_entries``)."""
    return []


def referral_of(project_id: int, referral_id: int) -> Referral | None:
    """The referral with its partner, if it belongs to that project."""
    return db.session.scalars(_with_partner(select(Referral).where(
        Referral.id == referral_id, Referral.project_id == project_id))).one_or_none()


def partner_choices() -> list[Partner]:
    """The partners a referral may name: not archived, in French order of the name shown
    (an organisation's own name for a partner that is one): one query."""
    partners = db.session.scalars(
        select(Partner).where(Partner.archived_at.is_(None))
        .options(joinedload(Partner.organisation)))
    return sorted_french(partners, key=lambda p: p.display_name)


def partner_for_referral(partner_id: int) -> Partner | None:
    """A partner (with its organisation) that a referral may name: not archived."""
    return db.session.scalars(
        select(Partner).where(Partner.id == partner_id, Partner.archived_at.is_(None))
        .options(joinedload(Partner.organisation))).one_or_none()


def partner_named(name: str) -> Partner | None:
    """The partner (archived or not) a body typed by its name already is: its own name or
    its organisation's, as search compares them (case, accents, apostrophes ignored); not
    archived first. One statement."""
    if not column_key(Partner.name_key, name):
        return None
    statement = (
        select(Partner).outerjoin(Organisation, Organisation.id == Partner.organisation_id)
        .where(or_(Partner.name_key == column_key(Partner.name_key, name),
                   Organisation.name_key == column_key(Organisation.name_key, name)))
        .options(joinedload(Partner.organisation))
        .order_by(Partner.archived_at.is_not(None), Partner.id).limit(1))
    return db.session.scalars(statement).first()


@dataclass
class PartnerReferral:
    """A referral of a partner's page, with its project."""

    referral: Referral
    project: Project


def for_partner(partner_id: int, user: User) -> list[PartnerReferral]:
    """The partner's referrals both ways on the projects ``user`` may see, latest first,
    each with its project: one query."""
    rows = db.session.execute(
        visible_projects(user, select(Referral, Project)
                         .join(Project, Project.id == Referral.project_id))
        .where(Referral.partner_id == partner_id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc()))
    return [PartnerReferral(referral, project) for referral, project in rows]
