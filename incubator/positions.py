"""Card order inside a board column (a shared primitive: the board moves cards, a submission
places a new one at the end of its column).

Positions are sparse integers (a gap of 65,536 between neighbours when renumbered), so placing
a card between two others writes one row: the midpoint of its neighbours. Only when a gap is
used up (after ~16 insertions at the same spot) is the column renumbered, in one transaction.
Active projects only hold a position; a unique constraint on (stage_id, position) keeps two
cards from ever sharing one.

Every card placed in a column goes through ``take_position`` (a move, a submission, a
reopening): on PostgreSQL two transactions can read the same free place at the same moment,
and the second one's write then breaks the unique constraint once the first commits. The
write is made in a savepoint, so the loser reads the column again (READ COMMITTED: it now
sees the winner) and takes another place, a bounded number of times; after that it raises
``PositionTaken`` and the caller answers 409 with the card as it is (nothing written).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .extensions import db
from .models import Project, ProjectStatus

GAP = 1 << 16
UNIQUE_POSITION = "uq_projects_stage_position"
# PostgreSQL's deadlock_detected and serialization_failure: two renumberings of crossing
# columns can wait on each other; PostgreSQL then fails one statement, and its savepoint.
RETRYABLE_STATES = {"40P01", "40001"}
ATTEMPTS = 8


class PositionTaken(Exception):  # noqa: N818 (a refusal, like board.services.Conflict)
    """Every attempt found its free place taken by concurrent moves (nothing was written:
    the savepoints were rolled back)."""


def position_collision(error: DBAPIError) -> bool:
    """Whether ``error`` is a concurrent taking of the same place (the unique constraint on
    (stage_id, position), named by psycopg, or in SQLite's message) or a deadlock between
    two renumberings: errors that another attempt may not meet."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_STATES:
        return True
    if not isinstance(error, IntegrityError):
        return False
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint is not None:
        return constraint == UNIQUE_POSITION
    return "projects.stage_id, projects.position" in str(orig)


def _others(stage_id: int, exclude_id: int | None):
    condition = [Project.stage_id == stage_id, Project.status == ProjectStatus.ACTIVE.value,
                 Project.position.is_not(None)]
    if exclude_id is not None:
        condition.append(Project.id != exclude_id)
    return condition


# The reads and the write of a placement, built once with bind parameters (``stage_id``,
# ``exclude_id``: 0 when nothing is excluded, ids start at 1; ``after_id``, ``skip``):
# building them at every move cost more Python than sending them (docs/performance.md,
# "Issue 15, third pass: move").
_P = Project.__table__  # Core statements: the ORM's compile path costs ~0.1 ms a call
_OTHERS = (_P.c.stage_id == bindparam("stage_id"),
           _P.c.status == ProjectStatus.ACTIVE.value, _P.c.position.is_not(None),
           _P.c.id != bindparam("exclude_id"))
_LAST = select(func.max(_P.c.position)).where(*_OTHERS)
_FIRST = select(func.min(_P.c.position)).where(*_OTHERS)
_LOW = select(_P.c.position).where(_P.c.id == bindparam("after_id"), *_OTHERS)
# Both neighbours of "below that card" in one round trip: its position and the next one.
_AFTER = select(_LOW.scalar_subquery(), select(func.min(_P.c.position)).where(
    *_OTHERS, _P.c.position > _LOW.scalar_subquery()).scalar_subquery())
_PAIR = (select(_P.c.position).where(*_OTHERS).order_by(_P.c.position)
         .offset(bindparam("skip")).limit(2))
_PLACE = update(_P).where(_P.c.id == bindparam("project_id")).values(
    position=bindparam("new_position"))


def _bound(stage_id: int, exclude_id: int | None, **more) -> dict:
    return {"stage_id": stage_id, "exclude_id": exclude_id or 0, **more}


def end_position(stage_id: int, exclude_id: int | None = None) -> int:
    last = db.session.scalar(_LAST, _bound(stage_id, exclude_id))
    return (last or 0) + GAP


def place_at_end(project: Project, stage_id: int) -> int:
    """Put ``project`` (already in ``stage_id``) at the end of the column; returns its
    position. Raises PositionTaken (see ``take_position``)."""
    return take_position(project, stage_id)


def _write_position(project: Project, position: int) -> None:
    db.session.execute(_PLACE, {"project_id": project.id, "new_position": position})


def take_position(project: Project, stage_id: int, *, after_id: int | None = None,
                  index: int | None = None, attempts: int = ATTEMPTS,
                  write: Callable[[int], None] | None = None) -> int:
    """Write a free position of column ``stage_id`` at the place asked for (``after_id``,
    ``index`` or the end, see ``_neighbours``) on ``project``'s row (in that stage and
    active once written, its own position cleared or about to be replaced); returns it and
    tells the loaded project.

    ``write(position)``: the caller's own UPDATE of the row with that position (a move
    claims the row at the version its user saw and places it in one statement; it may
    raise to refuse, e.g. a stale version: that attempt's savepoint is rolled back and the
    error propagates). Default: an UPDATE of the position alone.

    Each attempt reads the neighbours, renumbers the column if their gap is used up, and
    writes, in one savepoint: a place taken by a concurrent transaction in between (the
    unique constraint ``uq_projects_stage_position``, or a deadlock between renumberings)
    rolls back that attempt alone, and the next one reads the column as it is now.

    Raises PositionTaken after ``attempts`` such failures (the transaction is intact and
    the project's row keeps what the caller wrote before); other database errors propagate.
    """
    for _attempt in range(attempts):
        try:
            with db.session.begin_nested():
                position = free_position(stage_id, project.id, after_id=after_id, index=index)
                if write is None:
                    _write_position(project, position)
                else:
                    write(position)
        except DBAPIError as error:
            if not position_collision(error):
                raise
            continue
        set_committed_value(project, "position", position)
        return position
    raise PositionTaken()


def _neighbours(stage_id: int, exclude_id: int | None, *, after_id: int | None = None,
                index: int | None = None) -> tuple[int | None, int | None]:
    """The positions of the cards just above and just below the place asked for.

    ``after_id``: right below that card (0 for the top of the column); ``index``: so that
    the card becomes the index-th of the column (1-based); neither: at the end.
    """
    if after_id is not None:
        if after_id == 0:
            return None, db.session.scalar(_FIRST, _bound(stage_id, exclude_id))
        low, high = db.session.execute(
            _AFTER, _bound(stage_id, exclude_id, after_id=after_id)).one()
        if low is None:  # that card is not (or no longer) in this column: go to the end
            return _neighbours(stage_id, exclude_id)
        return low, high
    if index is not None and index >= 1:
        pair = list(db.session.scalars(
            _PAIR, _bound(stage_id, exclude_id, skip=max(index - 2, 0))))
        if index == 1:
            return None, pair[0] if pair else None
        low = pair[0] if pair else None
        if low is None:  # fewer cards than the index: the end
            return _neighbours(stage_id, exclude_id)
        return low, pair[1] if len(pair) > 1 else None
    return db.session.scalar(_LAST, _bound(stage_id, exclude_id)), None


def renumber(stage_id: int, exclude_id: int | None = None) -> None:
    """Spread the column's positions evenly again (rare: only when a gap is used up).

    Two passes through negative values, so the unique constraint never sees a duplicate.
    Each UPDATE names the column again: on PostgreSQL a card moved elsewhere by a concurrent
    transaction after the ids were read is left where that move put it (READ COMMITTED
    checks the condition again on the row's new version); a card that entered the column
    meanwhile may meet a renumbered position, which the caller's savepoint retries.
    """
    if exclude_id is not None:
        # The card being placed may still hold its old place in this column (a move claims
        # and places its row in one UPDATE, after this): cleared first, so that no
        # renumbered place can meet it. Rolled back with the caller's savepoint.
        db.session.execute(update(Project).where(
            Project.id == exclude_id, Project.stage_id == stage_id,
        ).values(position=None).execution_options(synchronize_session=False))
    others = _others(stage_id, exclude_id)
    ids = list(db.session.scalars(
        select(Project.id).where(*others).order_by(Project.position, Project.id)
    ))
    if not ids:
        return
    still_here = update(Project).where(
        Project.stage_id == stage_id, Project.status == ProjectStatus.ACTIVE.value,
    ).execution_options(synchronize_session=None)
    db.session.execute(still_here, [{"id": i, "position": -(n + 1)} for n, i in enumerate(ids)])
    db.session.execute(still_here, [{"id": i, "position": (n + 1) * GAP}
                                    for n, i in enumerate(ids)])
    # Cards of the column this session holds read their new place when next asked.
    renumbered = set(ids)
    for held in list(db.session.identity_map.values()):
        if isinstance(held, Project) and held.id in renumbered:
            db.session.expire(held, ["position"])


def free_position(stage_id: int, exclude_id: int | None = None, *, after_id: int | None = None,
                  index: int | None = None) -> int:
    """A free position at the place asked for (see ``_neighbours``), renumbering if needed."""
    if after_id is None and (index is None or index < 1):
        return end_position(stage_id, exclude_id)
    for _attempt in range(2):
        low, high = _neighbours(stage_id, exclude_id, after_id=after_id, index=index)
        if high is None:
            return (low or 0) + GAP
        floor = low if low is not None else 0
        if high - floor >= 2:
            return (floor + high) // 2
        renumber(stage_id, exclude_id)
    raise RuntimeError("no free position after renumbering")  # pragma: no cover
