"""Reads of the partner bodies: the filtered, sorted, paginated list (a partner that is an
organisation of the directory is found and sorted by its organisation's name: outer join),
a partner's page (supports, yearly totals computed in SQL, referrals, committee sittings,
activity) and the member page's partner side. Each read costs a fixed number of SQL
statements, whatever the number of partners, supports or events."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import Integer, Select, Subquery, case, cast, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..labels import SUPPORT_KIND_LABELS
from ..models import (
    CommitteeSeat,
    CommitteeSitting,
    Organisation,
    Partner,
    PartnerContact,
    PartnerKind,
    Project,
    ProjectEvent,
    Referral,
    Support,
    SupportKind,
    SupportStatusChange,
    User,
    column_key,
)
from ..permissions import visible_projects
from ..tables import Column, Table
from ..text import like_key

PER_PAGE = 25
ACTIVITY_SHOWN = 10  # events on a partner's or organisation's page ("more": the list)
ACTIVITY_PER_PAGE = 25
SORTS = ("name", "kind", "projects", "recent")
ARCHIVED = ("", "only", "all")  # active partners (default), archived ones only, both
TOTAL_STATUSES = ("requested", "granted", "paid")


@dataclass
class PartnerFilters:
    """The list's search, filters and sort, as read from the URL."""

    q: str = ""
    kind: str = ""
    archived: str = ""
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> PartnerFilters:
        def choice(name: str, allowed) -> str:
            value = args.get(name, "").strip()
            return value if value in allowed else ""

        return cls(q=args.get("q", "").strip()[:200],
                   kind=choice("kind", {k.value for k in PartnerKind}),
                   archived=choice("archived", ARCHIVED),
                   sort=choice("sort", SORTS) or "name")

    def args(self) -> dict:
        """The non-empty parts, for links (pagination) that keep them."""
        values = {"q": self.q, "kind": self.kind, "archived": self.archived,
                  "sort": "" if self.sort == "name" else self.sort}
        return {name: value for name, value in values.items() if value}


def _projects_supported():
    """Per partner (correlated): the number of distinct projects it supports."""
    return (select(func.count(func.distinct(Support.project_id)))
            .where(Support.partner_id == Partner.id).correlate(Partner).scalar_subquery())


def directory_statement(filters: PartnerFilters) -> Select:
    """The partners matching ``filters``, in the chosen order, each with its organisation
    (when it is one) loaded by the same statement."""
    statement = (select(Partner)
                 .outerjoin(Organisation, Organisation.id == Partner.organisation_id)
                 .options(contains_eager(Partner.organisation)))
    if filters.archived == "only":
        statement = statement.where(Partner.archived_at.is_not(None))
    elif filters.archived != "all":
        statement = statement.where(Partner.archived_at.is_(None))
    if filters.q:
        statement = statement.where(or_(like_key(Partner.search_text, filters.q),
                                        like_key(Organisation.search_text, filters.q)))
    if filters.kind:
        statement = statement.where(Partner.kind == filters.kind)
    # An organisation-partner has no name of its own: its organisation's key sorts it.
    name_key = func.coalesce(Organisation.name_key, Partner.name_key)
    kind_order = case({kind.value: index for index, kind in enumerate(PartnerKind)},
                      value=Partner.kind, else_=len(PartnerKind))
    order = {
        "name": (name_key,),
        "kind": (kind_order, name_key),
        "projects": (_projects_supported().desc(), name_key),
        "recent": (Partner.created_at.desc(),),
    }[filters.sort]
    return statement.order_by(*order, Partner.id)


def directory_page(filters: PartnerFilters, page: int):
    """One page of the list (a count and a page), the last one when ``page`` is past it."""
    result = db.paginate(directory_statement(filters), page=page, per_page=PER_PAGE,
                         error_out=False)
    if page > 1 and page > result.pages:
        result = db.paginate(directory_statement(filters), page=max(result.pages, 1),
                             per_page=PER_PAGE, error_out=False)
    return result


def projects_counts(partner_ids: list[int]) -> dict[int, int]:
    """Per partner: the number of distinct projects it supports (one aggregate)."""
    if not partner_ids:
        return {}
    rows = db.session.execute(
        select(Support.partner_id, func.count(func.distinct(Support.project_id)))
        .where(Support.partner_id.in_(partner_ids)).group_by(Support.partner_id))
    return {partner_id: count for partner_id, count in rows}


def partner(partner_id: int, *, with_contacts: bool = False) -> Partner | None:
    """The partner with its organisation (and the contacts: its own, or its
    organisation's, when asked)."""
    statement = (select(Partner).where(Partner.id == partner_id)
                 .options(joinedload(Partner.organisation)))
    if with_contacts:
        statement = statement.options(
            selectinload(Partner.contacts),
            joinedload(Partner.organisation).selectinload(Organisation.contacts))
    return db.session.scalars(statement).unique().one_or_none()


def partner_of_organisation(organisation_id: int) -> Partner | None:
    """The partner that the organisation ``organisation_id`` is, if any."""
    return db.session.scalars(
        select(Partner).where(Partner.organisation_id == organisation_id)).one_or_none()


def already_a_partner(siret: str, name: str, *,
                      other_than: int | None = None) -> Partner | None:
    """The partner (archived or not, with a name of its own) that one with this SIRET or
    name would duplicate (search keys: accents and case ignored); one statement."""
    same = Partner.name_key == column_key(Partner.name_key, name)
    if siret:
        same = or_(same, Partner.siret == siret)
    statement = select(Partner).where(same, Partner.organisation_id.is_(None))
    if other_than is not None:
        statement = statement.where(Partner.id != other_than)
    return db.session.scalars(statement.order_by(Partner.id).limit(1)).first()


def contact_of(partner_id: int, contact_id: int) -> PartnerContact | None:
    """The contact person ``contact_id`` of that partner (None when elsewhere)."""
    return db.session.scalars(select(PartnerContact).where(
        PartnerContact.id == contact_id,
        PartnerContact.partner_id == partner_id)).one_or_none()


# The partner's page


@dataclass
class YearTotals:
    """A kind of support's amounts in one year (cents): requested, granted, paid."""

    year: int
    cents: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, status: str) -> int:
        return self.cents.get(status, 0)


@dataclass
class KindTotals:
    kind: str
    years: list[YearTotals]

    def total(self, status: str) -> int:
        return sum(year[status] for year in self.years)


def yearly_steps(*where) -> Subquery:
    """The rule every total of supports follows (a partner's page, the funders' report): per
    support, status (requested, granted, paid) and year, its changes to that status ranked
    latest first (``rank`` 1 is the one that counts, with its amount then). Columns:
    support_id, partner_id, kind, status, year, cents, rank; ``where`` narrows the changes
    (a partner, a range of days) before they are ranked."""
    change = SupportStatusChange
    year = cast(func.extract("year", change.changed_on), Integer)
    return (
        select(change.support_id.label("support_id"), Support.partner_id.label("partner_id"),
               Support.kind.label("kind"), change.to_status.label("status"),
               year.label("year"), change.amount_cents.label("cents"),
               func.row_number().over(
                   partition_by=(change.support_id, change.to_status, year),
                   order_by=(change.changed_on.desc(), change.id.desc())).label("rank"))
        .join(Support, Support.id == change.support_id)
        .where(change.to_status.in_(TOTAL_STATUSES), *where)
        .subquery())


def support_totals(partner_id: int) -> list[KindTotals]:
    """Per kind of support (in SupportKind order), per year (newest first): the amounts
    requested, granted and paid, from the status history (one statement). A support counts
    once per status and year: the latest change to that status within the year (its
    amount then), so a request corrected twice in 2026 counts its last amount once. Steps
    without an amount are left out: a kind never given an amount has no totals."""
    ranked = yearly_steps(Support.partner_id == partner_id)
    rows = db.session.execute(
        select(ranked.c.kind, ranked.c.year, ranked.c.status,
               func.coalesce(func.sum(ranked.c.cents), 0))
        # Without an amount (premises, expertise…) nothing adds up: never shown as 0 €.
        .where(ranked.c.rank == 1, ranked.c.cents.is_not(None))
        .group_by(ranked.c.kind, ranked.c.year, ranked.c.status))
    by_kind: dict[str, dict[int, YearTotals]] = {}
    for kind, row_year, status, cents in rows:
        years = by_kind.setdefault(kind, {})
        years.setdefault(int(row_year), YearTotals(int(row_year))).cents[status] = int(cents)
    order = [kind.value for kind in SupportKind]
    return [KindTotals(kind, sorted(by_kind[kind].values(), key=lambda y: -y.year))
            for kind in sorted(by_kind, key=lambda k: order.index(k) if k in order else 99)]


def totals_table(totals: KindTotals) -> Table:
    """A kind's yearly totals as a ``tables.Table`` (oldest year first, a total row when
    there are several years): the partner's page draws it as a chart above the table."""
    kind = str(SUPPORT_KIND_LABELS.get(totals.kind, totals.kind))
    columns = (Column("year", gettext("Year")),
               *(Column(status, label, "money") for status, label in (
                   ("requested", gettext("Requested")), ("granted", gettext("Granted")),
                   ("paid", gettext("Paid")))))
    rows = [(str(year.year), *(year[status] for status in TOTAL_STATUSES))
            for year in reversed(totals.years)]
    footer = ((gettext("Total"), *(totals.total(status) for status in TOTAL_STATUSES))
              if len(rows) > 1 else None)
    return Table(
        key=f"totals-{totals.kind}", title=gettext("%(kind)s: amounts by year", kind=kind),
        columns=columns, rows=rows, footer=footer,
        definition=gettext(
            "From the history of the supports' statuses: in each year, a support counts "
            "once per status, at its last amount of that year. Supports without an amount "
            "are left out."))


@dataclass
class ActivityEntry:
    """A ProjectEvent with the title of its project (as the reader may see it)."""

    item: ProjectEvent
    project_id: int
    project_title: str


@dataclass
class Activity:
    entries: list[ActivityEntry]
    page: int = 1
    has_more: bool = False

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def activity(user: User, *, partner_id: int | None = None, organisation_id: int | None = None,
             page: int = 1, per_page: int = ACTIVITY_SHOWN) -> Activity:
    """The events (ProjectEvent) concerning a partner or an organisation, newest first, on
    the projects ``user`` may see, with their project's title: one statement (one row
    more than shown says whether there are more)."""
    statement = visible_projects(user, select(ProjectEvent, Project.id, Project.title)
                                 .join(Project, Project.id == ProjectEvent.project_id))
    if partner_id is not None:
        statement = statement.where(ProjectEvent.partner_id == partner_id)
    else:
        statement = statement.where(ProjectEvent.organisation_id == organisation_id)
    rows = db.session.execute(
        statement.options(joinedload(ProjectEvent.actor))
        .order_by(ProjectEvent.at.desc(), ProjectEvent.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)).all()
    entries = [ActivityEntry(event, project_id, title) for event, project_id, title in rows]
    return Activity(entries[:per_page], page, len(entries) > per_page)


@dataclass
class PartnerPage:
    """What a partner's page shows besides the partner."""

    supports: list[tuple[Support, str]]  # with the project's title
    totals: list[Table]  # one per kind of support (totals_table)
    referrals: list[tuple[Referral, str]]
    sittings: list[tuple[CommitteeSitting, list[str]]]  # with who sat from the partner
    activity: Activity
    created_by: User | None


def partner_page(user: User, partner: Partner) -> PartnerPage:
    """The partner's supports and referrals (projects ``user`` may see), yearly totals,
    committee sittings where people from it sat (as the partner, or as its organisation),
    latest activity, and who created it: a fixed number of statements."""
    supports = [(support, title) for support, title in db.session.execute(
        visible_projects(user, select(Support, Project.title)
                         .join(Project, Project.id == Support.project_id))
        .where(Support.partner_id == partner.id)
        .order_by(Support.status_on.desc(), Support.id.desc()))]
    referrals = [(referral, title) for referral, title in db.session.execute(
        visible_projects(user, select(Referral, Project.title)
                         .join(Project, Project.id == Referral.project_id))
        .where(Referral.partner_id == partner.id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc()))]
    seat_of_partner = CommitteeSeat.partner_id == partner.id
    if partner.organisation_id is not None:
        seat_of_partner = or_(seat_of_partner,
                              CommitteeSeat.organisation_id == partner.organisation_id)
    seats = db.session.execute(
        select(CommitteeSitting, CommitteeSeat.name)
        .join(CommitteeSeat, CommitteeSeat.sitting_id == CommitteeSitting.id)
        .where(seat_of_partner)
        .order_by(CommitteeSitting.held_on.desc(), CommitteeSitting.id.desc(),
                  CommitteeSeat.id))
    sittings: dict[int, tuple[CommitteeSitting, list[str]]] = {}
    for sitting, name in seats:
        sittings.setdefault(sitting.id, (sitting, []))[1].append(name)
    created_by = (db.session.get(User, partner.created_by_id)
                  if partner.created_by_id is not None else None)
    return PartnerPage(supports=supports,
                       totals=[totals_table(totals) for totals in support_totals(partner.id)],
                       referrals=referrals, sittings=list(sittings.values()),
                       activity=activity(user, partner_id=partner.id),
                       created_by=created_by)


# The member page's partner side


@dataclass
class OrganisationPartnering:
    """For the member page: the partner the organisation is (None: not one) and the
    activity concerning the organisation."""

    partner: Partner | None
    activity: Activity


def organisation_partnering(user: User, organisation: Organisation) -> OrganisationPartnering:
    """Two statements: the organisation's partner row, its latest activity."""
    return OrganisationPartnering(partner_of_organisation(organisation.id),
                                  activity(user, organisation_id=organisation.id))


def linked_counts(partner_id: int) -> dict[str, int]:
    """What links a partner (delete guard): supports, referrals, committee seats and
    project events, counted in one statement."""
    def count(model, column):
        return (select(func.count()).select_from(model).where(column == partner_id)
                .scalar_subquery())

    row = db.session.execute(select(
        count(Support, Support.partner_id), count(Referral, Referral.partner_id),
        count(CommitteeSeat, CommitteeSeat.partner_id),
        count(ProjectEvent, ProjectEvent.partner_id))).one()
    return dict(zip(("supports", "referrals", "seats", "events"), row, strict=True))

