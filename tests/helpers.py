"""Helpers shared by test modules (fixtures live in conftest.py, test data in factories.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from incubator.extensions import db


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """The SQL statements the application sends while the block runs, in order."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def count_with_worker(app, send: Callable[[], Any]) -> tuple[Any, list[str], list[str]]:
    """Everything a request causes, in SQL: ``send()`` (a test-client call) run as in
    production (the request only queues its mails and jobs: ``WORKER_INLINE`` off), then the
    worker's drain of what it left. Returns (the response, the request's statements, the
    worker's statements)."""
    from incubator.worker import run_pending

    inline = app.config["WORKER_INLINE"]
    app.config["WORKER_INLINE"] = False
    try:
        with count_statements() as in_request:
            response = send()
    finally:
        app.config["WORKER_INLINE"] = inline
    with app.app_context(), count_statements() as in_worker:
        run_pending()
    return response, in_request, in_worker


#: The one message fragment, out of band into the page's message area.
MESSAGE_OOB = '<div id="messages" hx-swap-oob="innerHTML">'


def project_changed(response) -> bool:
    """True when the htmx answer triggers "project-changed" (the timeline reloads on it)."""
    import json

    return "project-changed" in json.loads(response.headers.get("HX-Trigger") or "{}")


def left_at_mismatches() -> list[tuple]:
    """Stage moves whose ``left_at`` is not the instant of the project's next move (in the
    order the review's window used: moved_at, then id), or not empty on the last one."""
    from sqlalchemy import func, select

    from incubator.models import StageMove
    from incubator.models.types import UTCDateTime

    following = func.lead(StageMove.moved_at, type_=UTCDateTime()).over(
        partition_by=StageMove.project_id, order_by=(StageMove.moved_at, StageMove.id))
    moves = select(StageMove.id, StageMove.left_at, following.label("next_move")).subquery()
    return [tuple(row) for row in db.session.execute(select(moves)).all()
            if row.left_at != row.next_move]
