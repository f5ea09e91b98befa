"""Recording a stage move: the one way every path (moves, submissions, reopenings, demo data,
test factories) appends to ``stage_moves``, so its derived ``left_at`` stays right.

``left_at`` is when the project left the stage the move put it in: the instant of its next
stage move. It is derived (``lead(moved_at)`` over the project's moves gives the same), set
once, when that next move is recorded, and lets the review read the stays of a period with
a range scan instead of a window over the whole history (docs/performance.md, Managers'
review). A stay ended by a closing keeps ``left_at`` empty: the project's ``closed_at`` says
when (it is reopened in the same stage, so the stay may go on).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update

from .extensions import db
from .models import StageMove, utcnow


def record_stage_move(project_id: int, from_stage_id: int | None, to_stage_id: int, *,
                      moved_by_id: int | None = None, moved_at: datetime | None = None,
                      comment: str | None = None) -> StageMove:
    """Append a stage move of the project (``from_stage_id`` None: its submission) and close
    the stay it ends: its previous move's ``left_at`` becomes this move's instant. Moves are
    recorded in time order (``moved_at`` defaults to now). Flushes nothing itself."""
    moved_at = moved_at or utcnow()
    # Set once: only the move still open (left_at empty) takes the instant; in-memory copies
    # follow ("evaluate").
    db.session.execute(
        update(StageMove)
        .where(StageMove.project_id == project_id, StageMove.left_at.is_(None))
        .values(left_at=moved_at)
        .execution_options(synchronize_session="evaluate"))
    move = StageMove(project_id=project_id, from_stage_id=from_stage_id,
                     to_stage_id=to_stage_id, moved_by_id=moved_by_id, moved_at=moved_at,
                     comment=comment)
    db.session.add(move)
    return move


def chain_left_at(moves: Iterable[dict]) -> list[dict]:
    """One project's moves as rows for a bulk insert (``moved_at`` in time order), each with
    ``left_at`` set as ``record_stage_move`` would have: the next one's ``moved_at``, the
    last one's None. For scripts that insert thousands of moves at once (bench)."""
    rows = [dict(move) for move in moves]
    for move, following in zip(rows, [*rows[1:], None][:len(rows)], strict=True):
        move["left_at"] = following["moved_at"] if following else None
    return rows
