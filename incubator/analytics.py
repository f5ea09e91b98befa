"""Settings for the analytic statements of the managers' review and the yearly report.

These are short aggregations over the history tables. On PostgreSQL their cost estimates
pass ``jit_above_cost``, so the server compiles them with LLVM first, which costs more
(75–90 ms a statement at 10,000 projects) than it saves on queries that run in tens of
milliseconds (docs/performance.md, Managers' review). SQLite has no JIT: nothing to do.
"""

from __future__ import annotations

from sqlalchemy import text

from .extensions import db


def analytic_statements() -> None:
    """Switch PostgreSQL's JIT compilation off for the rest of the current transaction
    (``SET LOCAL``: the request's transaction only, the pool's connections are unchanged)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
