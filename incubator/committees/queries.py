"""Reads of committees: the sittings list (upcoming first, then past; search, archived on
request, pagination), a sitting's page (seats, agenda, the comparison of its projects' scores
with averages), the projects that may go on an agenda, the people who may sit, a project's
« Comités » section as its reader may see it.

Every read costs a fixed number of SQL statements, whatever the number of sittings, projects,
criteria or scores: eager loading declared here, averages computed from rows already loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    CommitteeCriterion,
    CommitteeReview,
    CommitteeScore,
    CommitteeSeat,
    CommitteeSitting,
    Organisation,
    OrganisationContact,
    Partner,
    PartnerContact,
    Project,
    ProjectEvent,
    User,
)
from ..permissions import sees_committee_details, sees_committee_event, visible_reviews
from ..text import like_key, search_key, sorted_french
from ..timeline import TimelineEntry
from .services import AGENDA_STATUSES, COMMITTEE_EVENTS

PER_PAGE = 25
SEARCH_SHOWN = 20  # projects listed by the agenda's search
TENTH = Decimal("0.1")


def average(values: list[int]) -> Decimal | None:
    """The mean of ``values`` to one decimal (half up), None for no value: exact, never a
    float."""
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)


# The list ----------------------------------------------------------------------------


@dataclass
class SittingFilters:
    q: str = ""
    archived: bool = False

    @classmethod
    def from_args(cls, args) -> SittingFilters:
        return cls(q=args.get("q", "").strip()[:100], archived=args.get("archived") == "1")

    def args(self) -> dict[str, str]:
        values = {"q": self.q, "archived": "1" if self.archived else ""}
        return {k: v for k, v in values.items() if v}


def sittings_statement(filters: SittingFilters, today: date):
    statement = select(CommitteeSitting)
    if not filters.archived:
        statement = statement.where(CommitteeSitting.archived_at.is_(None))
    if filters.q and search_key(filters.q):
        statement = statement.where(like_key(CommitteeSitting.search_text, filters.q))
    upcoming = CommitteeSitting.held_on >= today
    return statement.order_by(case((upcoming, 0), else_=1),
                              case((upcoming, CommitteeSitting.held_on)).asc(),
                              CommitteeSitting.held_on.desc(), CommitteeSitting.id.desc())


@dataclass
class SittingsPage:
    page: Any  # a Flask-SQLAlchemy pagination of sittings
    agenda_sizes: dict[int, int] = field(default_factory=dict)
    decided: dict[int, int] = field(default_factory=dict)


def sittings_page(filters: SittingFilters, page: int, today: date) -> SittingsPage:
    """One page of sittings with the size of each agenda and its decisions taken: three
    statements. A page past the last gives the last."""
    result = db.paginate(sittings_statement(filters, today), page=page, per_page=PER_PAGE,
                         error_out=False)
    if page > 1 and page > result.pages:
        result = db.paginate(sittings_statement(filters, today), page=max(result.pages, 1),
                             per_page=PER_PAGE, error_out=False)
    listing = SittingsPage(result)
    ids = [s.id for s in result.items]
    if ids:
        rows = db.session.execute(
            select(CommitteeReview.sitting_id, func.count(),
                   func.count(CommitteeReview.decision))
            .where(CommitteeReview.sitting_id.in_(ids)).group_by(CommitteeReview.sitting_id))
        for sitting_id, size, decided in rows:
            listing.agenda_sizes[sitting_id] = size
            listing.decided[sitting_id] = decided
    return listing


# A sitting ---------------------------------------------------------------------------


def sitting(sitting_id: int) -> CommitteeSitting | None:
    """The sitting alone (for its changes)."""
    return db.session.get(CommitteeSitting, sitting_id)


def sitting_in_full(sitting_id: int) -> CommitteeSitting | None:
    """The sitting with its seats (and their bodies) and its agenda (each project with its
    stage, each review with its scores and the stage it was moved to)."""
    return db.session.scalars(
        select(CommitteeSitting).where(CommitteeSitting.id == sitting_id).options(
            selectinload(CommitteeSitting.seats).options(
                joinedload(CommitteeSeat.partner).joinedload(Partner.organisation),
                joinedload(CommitteeSeat.organisation)),
            selectinload(CommitteeSitting.reviews).options(
                joinedload(CommitteeReview.project).joinedload(Project.stage),
                joinedload(CommitteeReview.moved_to_stage),
                selectinload(CommitteeReview.scores)),
        )).one_or_none()


@dataclass
class Comparison:
    """A sitting's projects side by side: the criteria shown (active ones in the pole's
    order, then retired ones some review of the sitting was scored on), each review's
    scores and average, each criterion's average across the projects."""

    criteria: list[CommitteeCriterion]
    scores: dict[int, dict[int, int]]  # review id → criterion id → score
    review_averages: dict[int, Decimal | None]
    criterion_averages: dict[int, Decimal | None]


def criteria_for(review_ids: list[int]) -> list[CommitteeCriterion]:
    """Active criteria in order, then the retired ones scored in ``review_ids``: one
    statement."""
    scored = select(CommitteeScore.criterion_id).where(
        CommitteeScore.review_id.in_(review_ids or [0]))
    return list(db.session.scalars(
        select(CommitteeCriterion)
        .where(or_(CommitteeCriterion.active, CommitteeCriterion.id.in_(scored)))
        .order_by(CommitteeCriterion.active.desc(), CommitteeCriterion.position,
                  CommitteeCriterion.id)))


def comparison(sitting: CommitteeSitting) -> Comparison:
    """The comparison of a sitting loaded by ``sitting_in_full`` (one more statement)."""
    reviews = sitting.reviews
    criteria = criteria_for([r.id for r in reviews])
    scores = {r.id: {s.criterion_id: s.score for s in r.scores} for r in reviews}
    shown = {c.id for c in criteria}
    return Comparison(
        criteria=criteria, scores=scores,
        review_averages={rid: average([v for c, v in values.items() if c in shown])
                         for rid, values in scores.items()},
        criterion_averages={c.id: average([values[c.id] for values in scores.values()
                                           if c.id in values]) for c in criteria})


def review_of(sitting_id: int, review_id: int) -> CommitteeReview | None:
    """A review of that sitting with its project and scores."""
    return db.session.scalars(
        select(CommitteeReview)
        .where(CommitteeReview.id == review_id, CommitteeReview.sitting_id == sitting_id)
        .options(joinedload(CommitteeReview.project).joinedload(Project.stage),
                 joinedload(CommitteeReview.sitting),
                 selectinload(CommitteeReview.scores))).unique().one_or_none()


def seat_of(sitting_id: int, seat_id: int) -> CommitteeSeat | None:
    return db.session.scalars(select(CommitteeSeat).where(
        CommitteeSeat.id == seat_id, CommitteeSeat.sitting_id == sitting_id)).one_or_none()


# What may be added -------------------------------------------------------------------


def agenda_candidates(sitting: CommitteeSitting, q: str) -> list[Project]:
    """Projects in progress or paused, not on the sitting's agenda yet, whose title matches
    ``q`` (all when empty), by title: one statement."""
    on_agenda = select(CommitteeReview.project_id).where(
        CommitteeReview.sitting_id == sitting.id)
    statement = (select(Project).where(Project.status.in_(AGENDA_STATUSES),
                                       Project.id.not_in(on_agenda))
                 .options(joinedload(Project.stage)))
    if q and search_key(q):
        statement = statement.where(like_key(Project.search_text, q))
    found = db.session.scalars(statement.order_by(Project.last_activity_at.desc().nulls_last(),
                                                  Project.id.desc()).limit(SEARCH_SHOWN))
    return sorted_french(found, key=lambda p: p.title)


def agenda_candidate(project_id: int) -> Project | None:
    return db.session.get(Project, project_id)


@dataclass
class SeatChoices:
    """Who may sit: partners and organisations (not archived) with their contact people."""

    partners: list[Partner]
    organisations: list[Organisation]


def seat_choices() -> SeatChoices:
    """Partners (with their organisation and contacts) and member organisations (with their
    contacts), by name: four statements."""
    partners = list(db.session.scalars(
        select(Partner).where(Partner.archived_at.is_(None))
        .options(joinedload(Partner.organisation), selectinload(Partner.contacts))))
    partners.sort(key=lambda p: search_key(p.display_name))
    organisations = list(db.session.scalars(
        select(Organisation).where(Organisation.archived_at.is_(None), Organisation.is_member)
        .options(selectinload(Organisation.contacts)).order_by(Organisation.name_key)))
    return SeatChoices(partners, organisations)


def partner_contact(contact_id: int) -> PartnerContact | None:
    return db.session.get(PartnerContact, contact_id)


def organisation_contact(contact_id: int) -> OrganisationContact | None:
    return db.session.get(OrganisationContact, contact_id)


def partner(partner_id: int) -> Partner | None:
    return db.session.get(Partner, partner_id)


def organisation(organisation_id: int) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


# The project page --------------------------------------------------------------------


@dataclass
class ProjectCommittees:
    """A project's reviews as its reader may see them (newest sitting first), with, for
    staff, the criteria and averages."""

    reviews: list[CommitteeReview]
    criteria: dict[int, CommitteeCriterion] = field(default_factory=dict)
    averages: dict[int, Decimal | None] = field(default_factory=dict)


def project_committees(user: User, project: Project) -> ProjectCommittees:
    """Two statements (reviews with their sittings and scores; the criteria scored)."""
    reviews = list(db.session.scalars(
        select(CommitteeReview).join(CommitteeReview.sitting)
        .where(CommitteeReview.project_id == project.id, visible_reviews(user, project))
        .options(joinedload(CommitteeReview.sitting), selectinload(CommitteeReview.scores))
        .order_by(CommitteeSitting.held_on.desc(), CommitteeReview.id.desc())).unique())
    section = ProjectCommittees(reviews)
    ids = {s.criterion_id for r in reviews for s in r.scores}
    if ids:
        section.criteria = {c.id: c for c in db.session.scalars(
            select(CommitteeCriterion).where(CommitteeCriterion.id.in_(ids)))}
    section.averages = {r.id: average([s.score for s in r.scores]) for r in reviews}
    return section


def section(user: User, project: Project) -> dict[str, Any]:
    """What the project page's « Comités » section shows (``committees/_section.html``)."""
    return {"committees": project_committees(user, project)}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """The project's ``committee_*`` events (the project's own history leaves them out,
    ``projects.queries.timeline_entries``), those ``user`` may see
    (``permissions.sees_committee_event``: holders and mentors only shared decisions).
    One statement."""
    events = db.session.scalars(
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project.id,
               ProjectEvent.kind.in_(COMMITTEE_EVENTS))
        .options(joinedload(ProjectEvent.actor)))
    shown = [e for e in events if sees_committee_event(user, project, e.kind, e.detail or {})]
    if shown and not sees_committee_details(user, project):
        # A decision shared then taken back from the holders leaves their timeline too.
        still_shared = set(db.session.scalars(select(CommitteeReview.id).where(
            CommitteeReview.project_id == project.id, visible_reviews(user, project))))
        shown = [e for e in shown if e.detail.get("review_id") in still_shared]
    return [TimelineEntry("event", e.at, e, "projects/_event_entry.html") for e in shown]
