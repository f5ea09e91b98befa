"""The review's and the report's statements run without PostgreSQL's JIT compilation (it
costs more than it saves on them: docs/performance.md), for their transaction only; on
SQLite the helper sends nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from incubator.analytics import analytic_statements
from incubator.extensions import db
from incubator.pipeline import queries
from incubator.pipeline.queries import Period, ReviewFilters

from .conftest import is_postgres
from .helpers import count_statements
from .pipeline_history import at


def test_the_review_switches_jit_off_for_its_transaction_only(app):
    with app.test_request_context():
        queries.review(ReviewFilters(Period(date(2026, 1, 1), date(2026, 12, 31)), ""),
                       at(2027, 1, 15), date(2027, 1, 15))
        if is_postgres():
            assert db.session.scalar(text("SHOW jit")) == "off"
            db.session.rollback()
            assert db.session.scalar(text("SHOW jit")) != "off"
        db.session.rollback()


def test_the_helper_sends_nothing_on_sqlite_and_one_set_local_on_postgresql(app):
    with app.test_request_context(), count_statements() as statements:
        analytic_statements()
    assert statements == (["SET LOCAL jit = off"] if is_postgres() else [])
