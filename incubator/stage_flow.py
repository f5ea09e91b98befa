"""The cumulative flow's daily summary (``stage_flow_days``): per day in the pole's time zone
and per stage, the net change of the projects on the board in that stage, kept exactly equal
to what the stage moves and status changes say (docs/performance.md, Managers' review).

Definitions are those of the review's cumulative flow (docs/pipeline.md): a project is on the
board in a stage from a stage move into it (a stay) to its next move or its closing, minus its
times off the board (from a change to paused or closed to its next status change). An instant
changes the counts of the points strictly after it; the points are midnights in the pole's
time zone (and "now"), so the sum of the changes of the days up to D is the count at the
midnight that ends D, and the sum of every day is the count now.

Writers: ``stage_history.record_stage_move`` (every stage move: a move is made on the board,
so -1 in the stage left, +1 in the stage entered: one statement) and
``stage_history.record_status_change`` (every status change: ±1 in the project's stage at
that instant when the project leaves or comes back to the board: one statement, none
otherwise), in the writer's transaction. ``rebuild()`` recomputes every row from the history
(the CLI command ``rebuild-stage-flow``, the migration that adds the table, a change of the
pole's time zone, and bulk loaders such as ``bench/pipeline.py``).

Concurrency (PostgreSQL): a move updates two rows of today, always in stage order, so two
moves never wait on each other in opposite orders; moves into the same stage on the same day
queue on that row until the first commits (a few milliseconds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from functools import cache

from flask_babel import get_timezone
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import Project, ProjectStatus, StageFlowDay, StageMove, StatusChange

OFF_BOARD = (ProjectStatus.PAUSED.value, ProjectStatus.CLOSED.value)


def flow_day(instant: datetime, zone: tzinfo | None = None) -> date:
    """The day ``instant`` (aware) falls on in ``zone`` (default: the pole's time zone)."""
    return instant.astimezone(zone or get_timezone()).date()


def _add(changes: dict[tuple[date, int], int]) -> None:
    """Add ``changes`` ((day, stage id) → change) to the summary: one upsert statement, rows in
    (stage, day) order (the lock order), zero changes left out."""
    rows = [{"day": day, "stage_id": stage_id, "change": change}
            for (day, stage_id), change in sorted(changes.items(), key=lambda i: (i[0][1], i[0][0]))
            if change]
    if not rows:
        return
    name = db.session.get_bind().dialect.name
    values = {f"{key}_{n}": value for n, row in enumerate(rows) for key, value in row.items()}
    db.session.execute(_upsert(name, len(rows)), values)


@cache
def _upsert(dialect_name: str, count: int):
    """``_add``'s upsert of ``count`` rows for the dialect, built once (bind parameters
    ``day_<n>``, ``stage_id_<n>``, ``change_<n>``): every stage move sends it, and building
    an ``ON CONFLICT`` statement cost more Python than running it."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    days = StageFlowDay.__table__  # Core: the ORM would take the parameters for a row
    statement = dialect.insert(days).values([
        {"day": bindparam(f"day_{n}"), "stage_id": bindparam(f"stage_id_{n}"),
         "change": bindparam(f"change_{n}")} for n in range(count)])
    return statement.on_conflict_do_update(
        index_elements=[days.c.day, days.c.stage_id],
        set_={"change": days.c.change + statement.excluded.change})


def stage_moved(from_stage_id: int | None, to_stage_id: int, moved_at: datetime) -> None:
    """A stage move of a project on the board (every move is: the board moves active
    projects; a submission and a reopening make the project active first)."""
    day = flow_day(moved_at)
    changes = {(day, to_stage_id): 1}
    if from_stage_id is not None:  # None: the submission, the entry into the pipeline
        changes[(day, from_stage_id)] = changes.get((day, from_stage_id), 0) - 1
    _add(changes)


def status_changed(project_id: int, from_status: str, to_status: str, changed_at: datetime,
                   stage_id: int | None) -> None:
    """A status change of the project, whose stage at ``changed_at`` (its last stage move
    up to then) is ``stage_id``: -1 when it leaves the board (active → paused or closed),
    +1 when it comes back (paused or closed → active), nothing otherwise."""
    leaves = from_status == ProjectStatus.ACTIVE.value and to_status in OFF_BOARD
    returns = from_status in OFF_BOARD and to_status == ProjectStatus.ACTIVE.value
    if stage_id is None or not (leaves or returns):
        return
    _add({(flow_day(changed_at), stage_id): 1 if returns else -1})


def history_changes(moves: Iterable, changes: Iterable, closed_at: dict[int, datetime],
                    zone: tzinfo) -> dict[tuple[date, int], int]:
    """The summary computed from the history alone, as the review's raw statement reads it:
    each stay +1 at its start and -1 at its end (its next move, else the closing of a project
    now closed), each part of a stay spent off the board -1 at its start and +1 at its end.
    ``moves``: (project id, stage id, moved at, left at) rows; ``changes``: (project id, id,
    status, changed at) rows; ``closed_at``: the closing instant of each closed project."""
    stays: dict[int, list[tuple[int, datetime, datetime | None]]] = defaultdict(list)
    result: dict[tuple[date, int], int] = defaultdict(int)
    for project_id, stage_id, since, left_at in moves:
        until = left_at if left_at is not None else closed_at.get(project_id)
        stays[project_id].append((stage_id, since, until))
        result[(since.astimezone(zone).date(), stage_id)] += 1
        if until is not None:
            result[(until.astimezone(zone).date(), stage_id)] -= 1
    by_project: dict[int, list[tuple[datetime, int, str]]] = defaultdict(list)
    for project_id, change_id, status, changed_at in changes:
        by_project[project_id].append((changed_at, change_id, status))
    for project_id, history in by_project.items():
        history.sort()
        for index, (since, _id, status) in enumerate(history):
            if status not in OFF_BOARD:
                continue
            until = history[index + 1][0] if index + 1 < len(history) else None
            for stage_id, stay_since, stay_until in stays.get(project_id, ()):
                if (until is not None and stay_since >= until) or (
                        stay_until is not None and stay_until <= since):
                    continue
                part_since = max(since, stay_since)
                part_until = stay_until if until is None else (
                    until if stay_until is None else min(until, stay_until))
                result[(part_since.astimezone(zone).date(), stage_id)] -= 1
                if part_until is not None:
                    result[(part_until.astimezone(zone).date(), stage_id)] += 1
    return {key: change for key, change in result.items() if change}


def rebuild(zone: tzinfo | None = None) -> int:
    """Recompute the whole summary from the stage moves and status changes, in ``zone``
    (default: the pole's time zone), in the current transaction. Returns the number of rows
    written."""
    closed_at = dict(db.session.execute(
        select(Project.id, Project.closed_at)
        .where(Project.status == ProjectStatus.CLOSED.value, Project.closed_at.is_not(None))
    ).all())
    moves = db.session.execute(select(StageMove.project_id, StageMove.to_stage_id,
                                      StageMove.moved_at, StageMove.left_at))
    changes = db.session.execute(select(StatusChange.project_id, StatusChange.id,
                                        StatusChange.to_status, StatusChange.changed_at))
    rows = history_changes(moves, changes, closed_at, zone or get_timezone())
    db.session.execute(delete(StageFlowDay))
    values = [{"day": day, "stage_id": stage_id, "change": change}
              for (day, stage_id), change in sorted(rows.items())]
    for start in range(0, len(values), 5000):
        db.session.execute(insert(StageFlowDay), values[start:start + 5000])
    return len(values)
