"""Helpers shared by test modules (fixtures live in conftest.py, test data in factories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


#: The one message fragment, out of band into the page's message area.
MESSAGE_OOB = '<div id="messages" hx-swap-oob="innerHTML">'


def project_changed(response) -> bool:
    """True when the htmx answer triggers "project-changed" (the timeline reloads on it)."""
    import json

    return "project-changed" in json.loads(response.headers.get("HX-Trigger") or "{}")
