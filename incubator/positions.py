"""Card order inside a board column (a shared primitive: the board moves cards, a submission
places a new one at the end of its column).

Positions are sparse integers (a gap of 65,536 between neighbours when renumbered), so placing
a card between two others writes one row: the midpoint of its neighbours. Only when a gap is
used up (after ~16 insertions at the same spot) is the column renumbered, in one transaction.
Active projects only hold a position; a unique constraint on (stage_id, position) keeps two
cards from ever sharing one.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .extensions import db
from .models import Project, ProjectStatus

GAP = 1 << 16


def _others(stage_id: int, exclude_id: int | None):
    condition = [Project.stage_id == stage_id, Project.status == ProjectStatus.ACTIVE.value,
                 Project.position.is_not(None)]
    if exclude_id is not None:
        condition.append(Project.id != exclude_id)
    return condition


def end_position(stage_id: int, exclude_id: int | None = None) -> int:
    last = db.session.scalar(select(func.max(Project.position)).where(*_others(stage_id, exclude_id)))
    return (last or 0) + GAP


def place_at_end(project: Project, stage_id: int, attempts: int = 3) -> None:
    """Put ``project`` (already in ``stage_id``) at the end of the column.

    Two projects entering a column at the same moment read the same last position; the
    unique constraint lets one of them have it. The write is in a savepoint, so the other
    reads the new end and tries again instead of failing its whole request.
    """
    for attempt in range(attempts):
        position = end_position(stage_id, exclude_id=project.id)
        try:
            with db.session.begin_nested():
                db.session.execute(
                    update(Project).where(Project.id == project.id).values(position=position)
                    .execution_options(synchronize_session=False))
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            continue
        set_committed_value(project, "position", position)
        return


def _neighbours(stage_id: int, exclude_id: int | None, *, after_id: int | None = None,
                index: int | None = None) -> tuple[int | None, int | None]:
    """The positions of the cards just above and just below the place asked for.

    ``after_id``: right below that card (0 for the top of the column); ``index``: so that
    the card becomes the index-th of the column (1-based); neither: at the end.
    """
    others = _others(stage_id, exclude_id)
    if after_id is not None:
        if after_id == 0:
            return None, db.session.scalar(select(func.min(Project.position)).where(*others))
        # Both neighbours in one round trip: the card's position and the next one below it.
        low_sq = select(Project.position).where(Project.id == after_id, *others).scalar_subquery()
        high_sq = select(func.min(Project.position)).where(
            *others, Project.position > low_sq).scalar_subquery()
        low, high = db.session.execute(select(low_sq, high_sq)).one()
        if low is None:  # that card is not (or no longer) in this column: go to the end
            return _neighbours(stage_id, exclude_id)
        return low, high
    if index is not None and index >= 1:
        skip = max(index - 2, 0)
        pair = list(db.session.scalars(
            select(Project.position).where(*others).order_by(Project.position)
            .offset(skip).limit(2)
        ))
        if index == 1:
            return None, pair[0] if pair else None
        low = pair[0] if pair else None
        if low is None:  # fewer cards than the index: the end
            return _neighbours(stage_id, exclude_id)
        return low, pair[1] if len(pair) > 1 else None
    return db.session.scalar(select(func.max(Project.position)).where(*others)), None


def renumber(stage_id: int, exclude_id: int | None = None) -> None:
    """Spread the column's positions evenly again (rare: only when a gap is used up).

    Two passes through negative values, so the unique constraint never sees a duplicate.
    """
    ids = list(db.session.scalars(
        select(Project.id).where(*_others(stage_id, exclude_id))
        .order_by(Project.position, Project.id)
    ))
    if not ids:
        return
    db.session.execute(update(Project), [{"id": i, "position": -(n + 1)} for n, i in enumerate(ids)])
    db.session.execute(update(Project), [{"id": i, "position": (n + 1) * GAP}
                                          for n, i in enumerate(ids)])


def free_position(stage_id: int, exclude_id: int | None = None, *, after_id: int | None = None,
                  index: int | None = None) -> int:
    """A free position at the place asked for (see ``_neighbours``), renumbering if needed."""
    for _attempt in range(2):
        low, high = _neighbours(stage_id, exclude_id, after_id=after_id, index=index)
        if high is None:
            return (low or 0) + GAP
        floor = low if low is not None else 0
        if high - floor >= 2:
            return (floor + high) // 2
        renumber(stage_id, exclude_id)
    raise RuntimeError("no free position after renumbering")  # pragma: no cover
