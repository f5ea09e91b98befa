"""The advisors' board of projects by support stage."""

from flask import Blueprint

bp = Blueprint("board", __name__)


@bp.record_once
def _watch_revisions(state) -> None:
    """Every commit that writes what the board shows bumps the board's revision
    (incubator/revisions.py), in whichever app, command or worker the board is part of."""
    from ..revisions import watch

    watch()
