"""Reads of the working groups: the filtered, paginated list with each group's next meeting
and participant counts, a group's page (participants, meetings, attendance), the searches of
the "add a participant" page, the people a meeting's attendance may name, and the groups of a
project (its page's section) and of an organisation (the member page).

Every read costs a fixed number of SQL statements whatever the number of groups, meetings or
participants: relationships are loaded with ``selectinload``, counts and next meetings are
aggregated per page.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    GroupKind,
    GroupMeeting,
    GroupOrganisation,
    GroupProject,
    MeetingAttendance,
    Organisation,
    OrganisationContact,
    Project,
    ProjectHolder,
    User,
    WorkingGroup,
    utcnow,
)
from ..permissions import active_staff
from ..reference import themes
from ..text import like_key, one_spelling, sorted_french
from ..timeline import TimelineEntry
from .services import JOINABLE

PER_PAGE = 25
SEARCH_SHOWN = 20


@dataclass
class GroupFilters:
    """The list's search and filters, as read from the URL."""

    q: str = ""
    kind: str = ""
    archived: bool = False

    @classmethod
    def from_args(cls, args) -> GroupFilters:
        kind = args.get("kind", "").strip()
        return cls(q=args.get("q", "").strip()[:200],
                   kind=kind if kind in {k.value for k in GroupKind} else "",
                   archived=args.get("archived") == "1")

    def args(self) -> dict:
        """The non-empty parts, for links (pagination) that keep them."""
        values = {"q": self.q, "kind": self.kind, "archived": "1" if self.archived else ""}
        return {name: value for name, value in values.items() if value}


def list_statement(filters: GroupFilters) -> Select:
    """The groups matching ``filters``, by name (French order: the name key)."""
    statement = select(WorkingGroup)
    if not filters.archived:
        statement = statement.where(WorkingGroup.archived_at.is_(None))
    if filters.q:
        statement = statement.where(like_key(WorkingGroup.search_text, filters.q))
    if filters.kind:
        statement = statement.where(WorkingGroup.kind == filters.kind)
    return statement.order_by(WorkingGroup.name_key, WorkingGroup.id)


def next_meetings(group_ids: Collection[int], now: datetime | None = None,
                  ) -> dict[int, GroupMeeting]:
    """Per group: its next meeting not cancelled (starting from now on), in one query."""
    if not group_ids:
        return {}
    now = now or utcnow()
    first = (select(GroupMeeting.group_id, func.min(GroupMeeting.starts_at).label("starts_at"))
             .where(GroupMeeting.group_id.in_(list(group_ids)),
                    GroupMeeting.starts_at >= now, GroupMeeting.cancelled_at.is_(None))
             .group_by(GroupMeeting.group_id).subquery())
    meetings = db.session.scalars(
        select(GroupMeeting).join(first, and_(GroupMeeting.group_id == first.c.group_id,
                                              GroupMeeting.starts_at == first.c.starts_at))
        .where(GroupMeeting.cancelled_at.is_(None)).order_by(GroupMeeting.id))
    found: dict[int, GroupMeeting] = {}
    for meeting in meetings:
        found.setdefault(meeting.group_id, meeting)
    return found


def _counts(model, group_ids: Collection[int]) -> dict[int, int]:
    if not group_ids:
        return {}
    return dict(db.session.execute(
        select(model.group_id, func.count()).where(model.group_id.in_(list(group_ids)))
        .group_by(model.group_id)).all())


@dataclass
class ListPage:
    """One page of groups with, per group id, its next meeting and participant counts."""

    page: Any
    next: dict[int, GroupMeeting] = field(default_factory=dict)
    organisations: dict[int, int] = field(default_factory=dict)
    projects: dict[int, int] = field(default_factory=dict)


def list_page(filters: GroupFilters, page: int) -> ListPage:
    """One page of the list (count, page, next meetings, two counts: five statements). A
    page past the last gives the last one."""
    result = db.paginate(list_statement(filters), page=page, per_page=PER_PAGE,
                         error_out=False)
    if page > 1 and page > result.pages:
        result = db.paginate(list_statement(filters), page=max(result.pages, 1),
                             per_page=PER_PAGE, error_out=False)
    ids = [group.id for group in result.items]
    return ListPage(result, next_meetings(ids), _counts(GroupOrganisation, ids),
                    _counts(GroupProject, ids))


def group(group_id: int, *, full: bool = False) -> WorkingGroup | None:
    """The group; ``full``: with its participants and meetings (and each meeting's
    attendance), as its page shows them."""
    statement = select(WorkingGroup).where(WorkingGroup.id == group_id)
    if full:
        statement = statement.options(
            selectinload(WorkingGroup.organisation_links)
            .selectinload(GroupOrganisation.organisation),
            selectinload(WorkingGroup.project_links).selectinload(GroupProject.project),
            selectinload(WorkingGroup.meetings).selectinload(GroupMeeting.attendance))
    return db.session.scalars(statement).one_or_none()


@dataclass
class GroupPage:
    """A group's page: participants in French order, the next meeting, meetings to come
    (after the next) and past ones (latest first)."""

    group: WorkingGroup
    organisations: list[GroupOrganisation]
    projects: list[GroupProject]
    next: GroupMeeting | None
    upcoming: list[GroupMeeting]
    past: list[GroupMeeting]


def group_page(group_id: int) -> GroupPage | None:
    """Everything the group page shows, in a fixed number of statements."""
    found = group(group_id, full=True)
    if found is None:
        return None
    now = utcnow()
    coming = [m for m in found.meetings if m.starts_at >= now]
    live = [m for m in coming if m.cancelled_at is None]
    following = live[0] if live else None
    return GroupPage(
        found,
        sorted(found.organisation_links, key=lambda link: link.organisation.name_key),
        sorted_french(found.project_links, key=lambda link: link.project.title),
        following,
        [m for m in coming if m is not following],
        sorted((m for m in found.meetings if m.starts_at < now),
               key=lambda m: m.starts_at, reverse=True))


def meeting_of(group_id: int, meeting_id: int, *, with_attendance: bool = False,
               ) -> GroupMeeting | None:
    """The meeting, if it belongs to that group."""
    statement = select(GroupMeeting).where(GroupMeeting.id == meeting_id,
                                           GroupMeeting.group_id == group_id)
    if with_attendance:
        statement = statement.options(selectinload(GroupMeeting.attendance))
    return db.session.scalars(statement).one_or_none()


def theme_suggestions() -> list[str]:
    """The reference themes and those already given to groups, one spelling each."""
    used = db.session.execute(select(WorkingGroup.theme, func.count())
                              .where(WorkingGroup.theme != "").group_by(WorkingGroup.theme))
    return one_spelling(used.all(), reference=[theme.name for theme in themes()])


# Adding participants


def search_organisations(q: str, exclude: Collection[int] = ()) -> list[Organisation]:
    """Organisations of the directory (not archived) matching ``q``, not already in."""
    statement = select(Organisation).where(Organisation.archived_at.is_(None))
    if q:
        statement = statement.where(like_key(Organisation.search_text, q))
    if exclude:
        statement = statement.where(Organisation.id.not_in(list(exclude)))
    return list(db.session.scalars(
        statement.order_by(Organisation.name_key, Organisation.id).limit(SEARCH_SHOWN)))


def search_projects(q: str, exclude: Collection[int] = ()) -> list[Project]:
    """Projects being followed (active or paused) matching ``q``, not already in."""
    statement = select(Project).where(Project.status.in_(JOINABLE))
    if q:
        statement = statement.where(like_key(Project.search_text, q))
    if exclude:
        statement = statement.where(Project.id.not_in(list(exclude)))
    # The newest first when there are more than shown, then in French order.
    found = db.session.scalars(statement.order_by(Project.id.desc()).limit(SEARCH_SHOWN))
    return sorted_french(found, key=lambda project: project.title)


def organisation(organisation_id: int) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


def project(project_id: int) -> Project | None:
    return db.session.get(Project, project_id)


# Attendance


@dataclass(frozen=True)
class Person:
    """Someone the attendance form offers: ``key`` is the form's value."""

    key: str
    name: str
    detail: str
    organisation_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None


def attendance_people(page: GroupPage) -> list[Person]:
    """Contact people of the participating organisations, holders of the participating
    projects, then the pole's staff (three statements)."""
    organisation_ids = [link.organisation_id for link in page.organisations]
    project_ids = [link.project_id for link in page.projects]
    people: list[Person] = []
    if organisation_ids:
        names = {link.organisation_id: link.organisation.name for link in page.organisations}
        contacts = db.session.scalars(
            select(OrganisationContact)
            .where(OrganisationContact.organisation_id.in_(organisation_ids))
            .order_by(OrganisationContact.id))
        for contact in sorted_french(contacts, key=lambda contact: contact.name):
            people.append(Person(f"c{contact.id}", contact.name,
                                 names[contact.organisation_id],
                                 organisation_id=contact.organisation_id,
                                 user_id=contact.user_id))
    if project_ids:
        titles = {link.project_id: link.project.title for link in page.projects}
        for project_id, user in db.session.execute(
                select(ProjectHolder.project_id, User)
                .join(User, User.id == ProjectHolder.user_id)
                .where(ProjectHolder.project_id.in_(project_ids))
                .order_by(User.name_key, User.id)).all():
            people.append(Person(f"h{project_id}-{user.id}", user.name, titles[project_id],
                                 project_id=project_id, user_id=user.id))
    for user in db.session.scalars(select(User).where(active_staff())
                                   .order_by(User.name_key, User.id)):
        people.append(Person(f"u{user.id}", user.name, "", user_id=user.id))
    return people


# The project and member pages


@dataclass
class GroupsOf:
    """Groups (not archived) someone takes part in, with the day they joined and each
    group's next meeting."""

    links: list[Any]
    next: dict[int, GroupMeeting]


def project_groups(project_id: int) -> GroupsOf:
    """The groups of a project (its page's section): two statements."""
    links = list(db.session.scalars(
        select(GroupProject).join(WorkingGroup, WorkingGroup.id == GroupProject.group_id)
        .where(GroupProject.project_id == project_id, WorkingGroup.archived_at.is_(None))
        .options(selectinload(GroupProject.group))
        .order_by(WorkingGroup.name_key, WorkingGroup.id)))
    return GroupsOf(links, next_meetings([link.group_id for link in links]))


def organisation_groups(organisation_id: int) -> GroupsOf:
    """The groups of an organisation (the member page): two statements."""
    links = list(db.session.scalars(
        select(GroupOrganisation)
        .join(WorkingGroup, WorkingGroup.id == GroupOrganisation.group_id)
        .where(GroupOrganisation.organisation_id == organisation_id,
               WorkingGroup.archived_at.is_(None))
        .options(selectinload(GroupOrganisation.group))
        .order_by(WorkingGroup.name_key, WorkingGroup.id)))
    return GroupsOf(links, next_meetings([link.group_id for link in links]))


def section(user: User, project: Project) -> dict[str, Any]:
    """The project page's « Groupes » section: its groups and their next meeting (for
    everyone who sees the project: names, day and place only)."""
    return {"project_groups": project_groups(project.id)}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """None of its own: joining and leaving are ProjectEvents, read with the project's
    history."""
    return []


def attendance_count(meeting_ids: Collection[int]) -> dict[int, int]:
    """Per meeting: its attendance lines, in one query."""
    if not meeting_ids:
        return {}
    return dict(db.session.execute(
        select(MeetingAttendance.meeting_id, func.count())
        .where(MeetingAttendance.meeting_id.in_(list(meeting_ids)))
        .group_by(MeetingAttendance.meeting_id)).all())
