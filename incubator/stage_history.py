"""Recording a stage move: the one way every path (moves, submissions, reopenings, demo data,
test factories) appends to ``stage_moves``, so its derived ``left_at`` stays right.

``left_at`` is when the project left the stage the move put it in: the instant of its next
stage move. It is derived (``lead(moved_at)`` over the project's moves gives the same), set
once, when that next move is recorded, and lets the review read the stays of a period with
a range scan instead of a window over the whole history (docs/performance.md, Managers'
review). A stay ended by a closing keeps ``left_at`` empty: the project's ``closed_at`` says
when (it is reopened in the same stage, so the stay may go on).

Each move also stores the stay's ``paused_days`` with its ``left_at``, in the same statement:
the days within the stay that the project spent off the board (paused, or closed and later
reopened), so the review's time in stage subtracts a stored value instead of probing the
status changes once per stay (docs/performance.md, Issue 15 third pass). It is derived from
the status changes written before the move: histories are recorded in time order (a status
change is never back-dated before the project's last move), as the services write them.

Both functions also keep the cumulative flow's daily summary (``stage_flow``) in the same
transaction: one statement more per move or per status change that takes a project off the
board or back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Update,
    and_,
    bindparam,
    case,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from . import stage_flow
from .extensions import db
from .models import StageMove, StatusChange, utcnow
from .models.types import UTCDateTime


def days_between(later: Any, earlier: Any) -> ColumnElement:
    """Days (with their fraction) from ``earlier`` to ``later``, two timestamps: SQLite's
    julianday difference, PostgreSQL's epoch difference. The one dialect-aware piece."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


def off_board_times():
    """Every time off the board, a subquery (project_id, since, until): from a status change
    to paused or closed to the project's next status change (None: still off). The next
    change is a lookup in the (project, instant) index, not a window over every status
    change: a statement that asks for one project's intervals reads that project's rows
    alone."""
    change, following = aliased(StatusChange), aliased(StatusChange)
    until = (select(func.min(following.changed_at))
             .where(following.project_id == change.project_id,
                    or_(following.changed_at > change.changed_at,
                        and_(following.changed_at == change.changed_at,
                             following.id > change.id)))
             .correlate(change).scalar_subquery())
    return (select(change.project_id, change.changed_at.label("since"), until.label("until"))
            .where(change.to_status.in_(stage_flow.OFF_BOARD)).subquery())


def paused_days(project_id: Any, since: Any, until: Any) -> ColumnElement:
    """A scalar subquery: the days (float, with their fraction; 0 when none) the project
    spent off the board between ``since`` and ``until`` (SQL values or columns, ``since`` <
    ``until`` <= now), the sum of its times off the board clipped to that stay; a time
    still off at ``until`` counts up to it. Correlates with the columns it is given."""
    off = off_board_times()
    off_until = func.coalesce(off.c.until, until)
    overlap_from = case((off.c.since > since, off.c.since), else_=since)
    overlap_to = case((off_until < until, off_until), else_=until)
    return (select(func.coalesce(func.sum(days_between(overlap_to, overlap_from)), 0))
            .where(off.c.project_id == project_id, off.c.since < until, off_until > since)
            .scalar_subquery())

# The UPDATE that ends the open stay and stores its paused days, built once per dialect
# (``days_between`` differs): a Core statement, as the ORM's bulk UPDATE with its session
# synchronisation cost ~1 ms of Python per move to build and run; ``_left_in_session``
# does what that synchronisation did.
_MOVES = StageMove.__table__
_END_STAY: dict[str, Update] = {}


def _end_stay() -> Update:
    """The statement ending a project's open stay (bind parameters ``b_project`` and
    ``b_left_at``): ``left_at`` and ``paused_days`` set once, the stay's stage returned."""
    dialect = db.session.get_bind().dialect.name
    statement = _END_STAY.get(dialect)
    if statement is None:
        project = bindparam("b_project")
        instant = bindparam("b_left_at", type_=UTCDateTime())
        statement = _END_STAY[dialect] = (
            update(_MOVES)
            .where(_MOVES.c.project_id == project, _MOVES.c.left_at.is_(None))
            .values(left_at=instant,
                    paused_days=paused_days(project, _MOVES.c.moved_at, instant))
            .returning(_MOVES.c.to_stage_id))
    return statement


def _left_in_session(project_id: int, moved_at: datetime) -> None:
    """The project's open stays this session holds take ``moved_at`` as ``left_at``, as
    the database just did (a loaded one whose attributes are not all there is expired:
    read again when next asked)."""
    for held in list(db.session.identity_map.values()):
        if not isinstance(held, StageMove):
            continue
        loaded = inspect(held).dict
        if "project_id" not in loaded or "left_at" not in loaded:
            db.session.expire(held, ["left_at"])
        elif loaded["project_id"] == project_id and loaded["left_at"] is None:
            set_committed_value(held, "left_at", moved_at)
            db.session.expire(held, ["paused_days"])  # computed in SQL: read when asked


def record_stage_move(project_id: int, from_stage_id: int | None, to_stage_id: int, *,
                      moved_by_id: int | None = None, moved_at: datetime | None = None,
                      comment: str | None = None, on_board: bool = True) -> StageMove:
    """Append a stage move of the project (``from_stage_id`` None: its submission) and close
    the stay it ends: its previous move's ``left_at`` becomes this move's instant and its
    ``paused_days`` the days off the board within that stay (one UPDATE). Moves are
    recorded in time order (``moved_at`` defaults to now). ``on_board``: the project is on
    the board at that instant (the services only move active projects; a history written by
    a test may move a paused one, which changes no count of the flow). Flushes nothing
    itself."""
    moved_at = moved_at or utcnow()
    # Set once: only the move still open (left_at empty) takes the instant and its paused
    # time (computed in SQL). Its stage is the stay this move ends (the flow's -1).
    left = db.session.execute(_end_stay(), {"b_project": project_id, "b_left_at": moved_at}
                              ).scalars().all()
    _left_in_session(project_id, moved_at)
    if on_board:
        stage_flow.stage_moved(left[0] if left else None, to_stage_id, moved_at)
    move = StageMove(project_id=project_id, from_stage_id=from_stage_id,
                     to_stage_id=to_stage_id, moved_by_id=moved_by_id, moved_at=moved_at,
                     comment=comment)
    db.session.add(move)
    return move


def record_status_change(project_id: int, from_status: str, to_status: str, *,
                         stage_id: int | None = None, changed_at: datetime | None = None,
                         **fields) -> StatusChange:
    """Append a status change of the project (``fields``: outcome, reason, changed_by_id)
    and count it in the cumulative flow's summary. ``stage_id`` is the project's stage at
    ``changed_at`` (the services pass the current one); None looks it up (its last stage
    move up to then: one statement more, for histories written out of order by tests).
    Flushes nothing itself."""
    changed_at = changed_at or utcnow()
    if stage_id is None:
        stage_id = db.session.scalar(
            select(StageMove.to_stage_id)
            .where(StageMove.project_id == project_id, StageMove.moved_at <= changed_at)
            .order_by(StageMove.moved_at.desc(), StageMove.id.desc()).limit(1))
    change = StatusChange(project_id=project_id, from_status=from_status,
                          to_status=to_status, changed_at=changed_at, **fields)
    db.session.add(change)
    stage_flow.status_changed(project_id, from_status, to_status, changed_at, stage_id)
    return change


def chain_left_at(moves: Iterable[dict]) -> list[dict]:
    """One project's moves as rows for a bulk insert (``moved_at`` in time order), each with
    ``left_at`` set as ``record_stage_move`` would have: the next one's ``moved_at``, the
    last one's None. For scripts that insert thousands of moves at once (bench), which then
    call ``fill_paused_days`` once the status changes are in."""
    rows = [dict(move) for move in moves]
    for move, following in zip(rows, [*rows[1:], None][:len(rows)], strict=True):
        move["left_at"] = following["moved_at"] if following else None
    return rows


def fill_paused_days() -> int:
    """Give every ended stay without one its ``paused_days`` (as ``record_stage_move`` would
    have), in one UPDATE, in the current transaction; returns the number of rows. For bulk
    loads (bench) after their moves and status changes are inserted."""
    result = db.session.execute(
        update(StageMove)
        .where(StageMove.left_at.is_not(None), StageMove.paused_days.is_(None))
        .values(paused_days=paused_days(StageMove.project_id, StageMove.moved_at,
                                        StageMove.left_at))
        .execution_options(synchronize_session=False))
    return result.rowcount
