"""Reads for the board. A page costs a fixed number of SQL statements whatever the number of
cards: one windowed query picks the first cards of every column, one aggregate counts them
and fingerprints each column (for the poll), and eager loads fetch what a card shows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import (
    Date,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import defer, joinedload, load_only, selectinload
from werkzeug.datastructures import MultiDict

from .. import revisions
from ..cohorts.queries import in_cohorts, open_cohorts
from ..extensions import db
from ..i18n import pole_today
from ..mentoring.queries import current_mentors_statement, mentoring_organisations
from ..models import (
    Mentorship,
    Project,
    ProjectHolder,
    ProjectStatus,
    Stage,
    Theme,
    User,
)
from ..next_steps.queries import open_counts_statement
from ..params import parse_int
from ..reference import TERRITORY_COMMUNES, active_stages_for_cards, staff_members, themes
from ..supports.queries import granted_funding_statement
from ..text import like_key, one_spelling, search_key


@dataclass
class BoardFilters:
    """What the advisor narrowed the board to; read from and written back to the URL."""

    advisor: int | None = None
    mine: bool = False
    theme: int | None = None
    commune: str = ""
    q: str = ""
    mentor: int | None = None  # an organisation currently mentoring the project
    cohort: int | None = None  # a cohort the project is in now

    @classmethod
    def from_args(cls, args: MultiDict) -> BoardFilters:
        def number(name: str) -> int | None:
            return parse_int(args.get(name))  # a filter that cannot match is ignored

        return cls(
            advisor=number("advisor"),
            mine=args.get("mine") in ("1", "on", "true", "y"),
            theme=number("theme"),
            commune=(args.get("commune") or "").strip()[:100],
            q=(args.get("q") or "").strip()[:100],
            mentor=number("mentor"),
            cohort=number("cohort"),
        )

    @property
    def active(self) -> bool:
        return bool(self.advisor or self.mine or self.theme or self.commune or self.q
                    or self.mentor or self.cohort)

    def as_args(self) -> dict[str, Any]:
        """The filters as URL parameters (only those set)."""
        args: dict[str, Any] = {}
        if self.advisor:
            args["advisor"] = self.advisor
        if self.mine:
            args["mine"] = "1"
        if self.theme:
            args["theme"] = self.theme
        if self.commune:
            args["commune"] = self.commune
        if self.q:
            args["q"] = self.q
        if self.mentor:
            args["mentor"] = self.mentor
        if self.cohort:
            args["cohort"] = self.cohort
        return args

    def conditions(self, user: User) -> list:
        """SQL conditions on Project for these filters."""
        conditions: list = []
        if self.mine:
            conditions.append(Project.advisor_id == user.id)
        elif self.advisor:
            conditions.append(Project.advisor_id == self.advisor)
        if self.theme:
            conditions.append(Project.theme_id == self.theme)
        if self.commune:
            conditions.append(Project.commune_key == search_key(self.commune))
        for words in search_words(self.q):
            # An uncorrelated set, not a correlated EXISTS: inside column_stats' per-row CASE,
            # PostgreSQL ran the EXISTS once per active project (68 against 23 ms at 5,500,
            # docs/performance.md "Regional scale").
            holder_match = Project.id.in_(
                select(ProjectHolder.project_id)
                .join(User, User.id == ProjectHolder.user_id)
                .where(like_key(User.name_key, words)))
            conditions.append(or_(like_key(Project.search_text, words), holder_match))
        # The mentor and cohort filters as uncorrelated sets too (in_cohorts likewise): in
        # column_stats' CASE a correlated EXISTS ran once per active project
        # (docs/performance.md "third pass").
        if self.mentor:
            conditions.append(Project.id.in_(
                select(Mentorship.project_id)
                .where(Mentorship.organisation_id == self.mentor,
                       Mentorship.ended_on.is_(None))))
        if self.cohort:
            conditions.append(in_cohorts([self.cohort]))
        return conditions


#: At most this many words are searched (each costs a LIKE on the projects and one on the
#: holders' names): the longest, which say the most.
SEARCH_WORDS = 4


def search_words(q: str) -> list[str]:
    """The board search's words (search keys: lower case, no accents), each to be found in a
    project's text or in one of its holders' names, in any order: « Guérin Marion » finds
    Marion Guérin's projects, « épicerie guérin » her grocery. Words of one or two letters
    (« de », « la ») are left out when a longer one is there, a repeated word counts once,
    and of more than SEARCH_WORDS words the SEARCH_WORDS longest are kept (the first on a
    tie), in the order typed: « épicerie solidaire du quartier de la gare à Redon » still
    finds the grocery, which the whole text as one phrase, the former rule, never did.
    Empty search: no word."""
    words = list(dict.fromkeys(search_key(q).split()))
    words = [word for word in words if len(word) > 2] or words
    if len(words) > SEARCH_WORDS:
        kept = set(sorted(words, key=lambda word: -len(word))[:SEARCH_WORDS])  # stable
        words = [word for word in words if word in kept]
    return words


def _on_board(*stage_ids: int) -> list:
    condition = [Project.status == ProjectStatus.ACTIVE.value]
    if stage_ids:
        condition.append(Project.stage_id.in_(stage_ids))
    return condition


def with_card_details(statement: Select) -> Select:
    """What a card shows: theme, advisor, holders (the long description texts stay unread)."""
    return statement.options(
        defer(Project.pitch), defer(Project.need), defer(Project.target_public),
        defer(Project.planned_activity), defer(Project.outcome_reason),
        joinedload(Project.theme),
        joinedload(Project.advisor),
        selectinload(Project.holder_links).joinedload(ProjectHolder.user),
    )


def with_board_card_details(statement: Select) -> Select:
    """What a card of a board list shows, and nothing more: the project's card columns, the
    theme's names, the advisor's and holders' names (a board lists hundreds of cards; whole
    rows cost ~2 KB of texts each). The single card of a move's answer
    keeps ``with_card_details``: its notifications read more of the holders."""
    return statement.options(
        load_only(Project.id, Project.title, Project.version, Project.stage_id,
                  Project.position, Project.status, Project.commune, Project.theme_id,
                  Project.advisor_id, Project.stage_entered_at, Project.last_activity_at),
        joinedload(Project.theme).load_only(Theme.name, Theme.name_en),
        # Whole users: the page reads them again (the advisors of the filter, the session's
        # user), and a partly loaded one would cost a statement each.
        joinedload(Project.advisor),
        selectinload(Project.holder_links).joinedload(ProjectHolder.user),
    )


@dataclass
class ColumnStats:
    total: int = 0  # active projects in the stage (what the WIP limit counts)
    shown: int = 0  # those matching the filters
    fingerprint: str = "0"  # changes whenever a card enters, leaves or changes


@dataclass
class Column:
    stage: Stage
    stats: ColumnStats
    cards: list[Project] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.stats.shown

    @property
    def last_position(self) -> int | None:
        return self.cards[-1].position if self.cards else None


def _stats_statement(shown) -> Select:
    return (select(Project.stage_id, func.count(), shown, func.sum(Project.version),
                   func.sum(Project.id * Project.version))
            .group_by(Project.stage_id))


# The board unfiltered (a move's answer, most polls): built once.
_UNFILTERED_STATS = _stats_statement(func.count()).where(
    *_on_board(), Project.stage_id.in_(bindparam("stage_ids", expanding=True)))


def column_stats(user: User, filters: BoardFilters, stage_ids: list[int]) -> dict[int, ColumnStats]:
    """Per stage: total, filtered count and fingerprint, in one aggregate statement.

    The fingerprint (count, sum of versions, sum of id × version) changes whenever a card
    enters or leaves the column or any of its cards is modified (every change bumps the
    project's version).
    """
    conditions = filters.conditions(user)
    if conditions:
        shown = func.sum(case((and_(*conditions), 1), else_=0))
        rows = db.session.execute(_stats_statement(shown).where(*_on_board(*stage_ids)))
    else:
        rows = db.session.execute(_UNFILTERED_STATS, {"stage_ids": list(stage_ids)})
    stats = {stage_id: ColumnStats() for stage_id in stage_ids}
    for stage_id, total, matching, versions, weighted in rows:
        stats[stage_id] = ColumnStats(int(total), int(matching or 0),
                                      f"{total}-{versions}-{weighted}")
    return stats


def board_token(stats: dict[int, ColumnStats]) -> str:
    """The version of the board a page holds: every column's fingerprint."""
    return ".".join(f"{stage_id}:{s.fingerprint}" for stage_id, s in sorted(stats.items()))


def stage_layout(stages: list[Stage]) -> str:
    """The columns a board page shows, as ``"<id>-<version>"`` of each stage in order.

    A reorder, a rename or a new limit in the stage settings changes it (the settings raise
    the stage's version); the poll then asks the page to reload. Built from the stages the
    request has already read: no statement of its own.
    """
    return ".".join(f"{s.id}-{s.version}" for s in stages)


def parse_token(token: str) -> dict[int, str]:
    parsed: dict[int, str] = {}
    for part in (token or "").split("."):
        stage_id, _, fingerprint = part.partition(":")
        if (number := parse_int(stage_id)) is not None:
            parsed[number] = fingerprint
    return parsed


def first_cards(user: User, filters: BoardFilters, stage_ids: list[int],
                per_column: int) -> dict[int, list[Project]]:
    """The first ``per_column`` matching cards of each column, in one query: a ``LIMIT``
    per column joined by ``UNION ALL``, so each column reads its first rows in
    ``ix_projects_board`` order (a ``row_number()`` window ranked every active project
    first: 7.6 against 0.1 ms at 5,500 on PostgreSQL, docs/performance.md "Regional scale")."""
    if not stage_ids:
        return {}
    conditions = filters.conditions(user)
    firsts = [
        select(select(Project.id)
               .where(*_on_board(stage_id), *conditions)
               .order_by(Project.position, Project.id)
               .limit(per_column).subquery().c.id)
        for stage_id in stage_ids
    ]
    chosen = union_all(*firsts).subquery() if len(firsts) > 1 else firsts[0].subquery()
    statement = with_board_card_details(
        select(Project).where(Project.id.in_(select(chosen.c.id)))
        .order_by(Project.stage_id, Project.position, Project.id)
    )
    cards: dict[int, list[Project]] = {stage_id: [] for stage_id in stage_ids}
    for project in db.session.scalars(statement).unique():
        cards[project.stage_id].append(project)
    return cards


def board_columns(user: User, filters: BoardFilters, per_column: int,
                  only: list[int] | None = None) -> list[Column]:
    """The board's columns (or only some of them), each with its first cards."""
    stages = [s for s in active_stages_for_cards() if only is None or s.id in only]
    stage_ids = [s.id for s in stages]
    stats = column_stats(user, filters, stage_ids)
    cards = first_cards(user, filters, stage_ids, per_column)
    return [Column(stage, stats[stage.id], cards[stage.id]) for stage in stages]


def more_cards(user: User, filters: BoardFilters, stage_id: int, after_position: int | None,
               limit: int) -> tuple[list[Project], bool]:
    """The next cards of a column after ``after_position`` (keyset: robust to moves)."""
    statement = (
        select(Project)
        .where(*_on_board(stage_id), *filters.conditions(user))
        .order_by(Project.position, Project.id)
        .limit(limit + 1)
    )
    if after_position is not None:
        statement = statement.where(Project.position > after_position)
    found = list(db.session.scalars(with_board_card_details(statement)).unique())
    return found[:limit], len(found) > limit


# Built once (its cache key too): a move, its form and its answer read one card each time.
# The holders come in the same statement (a join, not a second SELECT): one card has few.
_CARD = (
    select(Project).where(Project.id == bindparam("project_id"))
    .options(
        defer(Project.pitch), defer(Project.need), defer(Project.target_public),
        defer(Project.planned_activity), defer(Project.outcome_reason),
        joinedload(Project.theme), joinedload(Project.advisor), joinedload(Project.stage),
        joinedload(Project.holder_links).joinedload(ProjectHolder.user),
    )
)


def card(project_id: int) -> Project | None:
    """One project with what its card shows (``with_card_details``: theme, advisor, holders
    with their whole accounts, for the notifications of a move) and its stage, whatever its
    status; one statement."""
    return db.session.scalars(_CARD, {"project_id": project_id}).unique().one_or_none()


class CardBelow(NamedTuple):
    id: int
    position: int


def _next_card_statement(*conditions) -> Select:
    """``next_card_after``'s statement under ``conditions`` (bind parameters ``stage_id``,
    ``position``)."""
    return (select(Project.id, Project.position)
            .where(*_on_board(), Project.stage_id == bindparam("stage_id"), *conditions,
                   Project.position > bindparam("position"))
            .order_by(Project.position, Project.id)
            .limit(1))


_NEXT_CARD = _next_card_statement()  # the board unfiltered: built once


def next_card_after(user: User, filters: BoardFilters, project: Project) -> CardBelow | None:
    """The card shown just below ``project`` in its column under these filters: its id and
    position (all the answer's placement needs; ``dom_id`` takes it)."""
    conditions = filters.conditions(user)
    statement = _next_card_statement(*conditions) if conditions else _NEXT_CARD
    row = db.session.execute(statement, {"stage_id": project.stage_id,
                                         "position": project.position}).first()
    return CardBelow(row.id, row.position) if row is not None else None


def matches(user: User, filters: BoardFilters, project: Project) -> bool:
    if not filters.active:
        return True
    return db.session.scalar(
        select(func.count()).select_from(Project)
        .where(Project.id == project.id, *filters.conditions(user))
    ) == 1


@dataclass(frozen=True)
class Choice:
    """An option of a filter list, detached from the session so a process may keep it: the
    row's id, its name and, for reference rows (themes, cohorts), its English name (what
    ``localized`` reads)."""

    id: int
    name: str
    name_en: str = ""


def read_filter_choices() -> dict[str, list]:
    """Options of the filter form, read now (5 statements): staff who advise projects,
    themes, communes in use, organisations mentoring an active project, open cohorts. Lists
    of ``Choice`` (communes: their names)."""
    used = db.session.execute(
        select(Project.commune, func.count()).where(*_on_board(), Project.commune_key != "")
        .group_by(Project.commune)
    )
    return {
        "advisors": [Choice(u.id, u.name) for u in staff_members()],
        "themes": [Choice(t.id, t.name, t.name_en) for t in themes()],
        "communes": one_spelling(used.all(), spellings=TERRITORY_COMMUNES),
        "mentors": [Choice(o.id, o.name) for o in mentoring_organisations()],
        "cohorts": [Choice(c.id, c.name, c.name_en) for c in open_cohorts()],
    }


def filter_choices(revision: int | None = None) -> dict[str, list]:
    """Options of the filter form (``read_filter_choices``), kept per process while the
    ``choices`` revision is ``revision`` (incubator/revisions.py: every commit that writes
    what the lists read — staff, themes, cohorts, mentorships, organisations, a project's
    status or commune, not a move — draws a new one; None: read it now, one statement) and
    for at most ``BOARD_FILTER_CHOICES_SECONDS`` (0: read on every call; the bound covers
    writes made outside SQLAlchemy, which no revision sees). A new commune, mentor,
    advisor, theme or cohort is thus offered on the next request; while nothing is written
    the lists are read once per bound. At the regional scale (10,000 active projects, 100
    staff, 1,700 mentoring organisations) reading them cost ~21 ms of Python and 5
    statements per board page, two of them scans of the active projects
    (docs/performance.md "Regional scale"). Pass the revision a caller read before its
    other queries (``pages.part_key``'s): lists read after it are then never kept under an
    older value than theirs."""
    seconds = current_app.config.get("BOARD_FILTER_CHOICES_SECONDS", 0)
    if seconds <= 0:
        return read_filter_choices()
    if revision is None:
        revision = revisions.current("choices")
    kept = current_app.extensions.get("board_filter_choices")
    now = time.monotonic()
    if kept is None or kept[0] != revision or kept[1] <= now:
        kept = (revision, now + seconds, read_filter_choices())
        current_app.extensions["board_filter_choices"] = kept  # one entry: a bound by itself
    return kept[2]


def filter_choices_until() -> float:
    """The ``time.time()`` instant after which ``filter_choices`` reads its lists again
    whatever the revision (infinity when they are read at every call, or not read yet).
    Whatever is built from them and kept (board/pages.py's cached page part) must not
    outlive that bound."""
    kept = current_app.extensions.get("board_filter_choices")
    if current_app.config.get("BOARD_FILTER_CHOICES_SECONDS", 0) <= 0 or kept is None:
        return float("inf")
    return time.time() + (kept[1] - time.monotonic())


def off_board(page: int, per_page: int = 50):
    """Closed and paused projects, most recently changed first."""
    statement = (
        select(Project)
        .where(Project.status.in_([ProjectStatus.CLOSED.value, ProjectStatus.PAUSED.value]))
        .options(joinedload(Project.stage), joinedload(Project.advisor),
                 selectinload(Project.holder_links).joinedload(ProjectHolder.user))
        .order_by(Project.last_activity_at.desc(), Project.id.desc())
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


@cache
def _card_marks_statement() -> Select:
    """``card_marks``' statement, built once (its cache key too: building the union at every
    call cost more Python than the two round trips it saves), with the bind parameters
    ``ids`` (expanding) and ``on`` (the pole's day, for the overdue steps)."""
    ids, on = bindparam("ids", expanding=True), bindparam("on", type_=Date)
    steps = list(open_counts_statement(ids, on).subquery().c)
    funds = list(granted_funding_statement(ids).subquery().c)
    mentors = list(current_mentors_statement(ids).subquery().c)
    zero, text = literal_column("0"), cast(null(), String)
    return union_all(
        select(literal_column("1").label("kind"), steps[0].label("project_id"),
               steps[1].label("a"), steps[2].label("b"), text.label("name"),
               text.label("sort_key")),
        select(literal_column("2"), funds[0], funds[1], zero, text, text),
        select(literal_column("3"), mentors[0], zero, zero, mentors[1], mentors[2]),
    ).order_by(literal_column("kind"), literal_column("project_id"),
               literal_column("sort_key"))


def card_marks(project_ids: list[int]) -> dict[str, dict]:
    """The three marks of the cards shown, in ONE statement whatever their number (a
    ``UNION ALL`` of the three features' aggregates; three round trips before, two fewer
    per board page, "load more", poll and move): ``{"step_counts": {id: (open, overdue)},
    "mentor_marks": {id: [organisation names, by name]}, "granted_funding": {id: cents}}``,
    the keys the card template reads (cards without a mark are left out of each)."""
    marks: dict[str, dict] = {"step_counts": {}, "mentor_marks": {}, "granted_funding": {}}
    if not project_ids:
        return marks
    steps_of, mentors_of, funding_of = (marks["step_counts"], marks["mentor_marks"],
                                        marks["granted_funding"])
    rows = db.session.execute(_card_marks_statement(),
                              {"ids": list(project_ids), "on": pole_today()})
    for kind, project_id, a, b, name, _key in rows:
        if kind == 1:
            steps_of[project_id] = (int(a), int(b or 0))
        elif kind == 2:
            if a:
                funding_of[project_id] = int(a)
        else:
            mentors_of.setdefault(project_id, []).append(name)
    return marks

