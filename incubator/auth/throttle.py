"""Failed logins, counted in the database per submitted address, with a progressive delay.

The counter lives in the database, so every process and every instance behind a load
balancer shares it, and each failure is one atomic upsert (``failures = failures + 1``), so
parallel attempts all count. It is kept per address *as typed*, whether or not an account
uses it: an unknown address is delayed exactly like a known one, so the delay tells nothing.

It is a delay, not a lock: the first ``LOGIN_FREE_FAILURES`` - 1 failures cost nothing;
from then on each failure makes the next attempt wait ``LOGIN_DELAY_BASE_SECONDS``, doubled
per failure, capped at ``LOGIN_DELAY_MAX_SECONDS``. An attempt during the delay is refused
without the password being checked (so guessing stops) and without counting as a failure
(so an attacker cannot extend it). A successful login, a password set through an e-mailed
link, or a manager clears it; failures are forgotten after ``LOGIN_FAILURE_MEMORY_HOURS``
without any.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import LoginFailure, User, utcnow


def _key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def seconds_to_wait(email: str) -> int:
    """How long attempts for ``email`` are refused (0: go ahead)."""
    until = db.session.scalar(
        select(LoginFailure.delayed_until).where(LoginFailure.email == _key(email))
    )
    if until is None:
        return 0
    return max(0, math.ceil((until - utcnow()).total_seconds()))


def delay_after(failures: int) -> int:
    """The delay in seconds that the ``failures``-th failure imposes on the next attempt."""
    config = current_app.config
    beyond = failures - config["LOGIN_FREE_FAILURES"]
    if beyond < 0:
        return 0
    return min(config["LOGIN_DELAY_BASE_SECONDS"] * 2 ** min(beyond, 40),
               config["LOGIN_DELAY_MAX_SECONDS"])


def record_failure(email: str) -> tuple[int, int]:
    """Count one failure for ``email``; returns (failures so far, delay now imposed)."""
    now = utcnow()
    forgotten = now - timedelta(hours=current_app.config["LOGIN_FAILURE_MEMORY_HOURS"])
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoginFailure).values(email=_key(email), failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginFailure.email],
        set_={
            "failures": case((LoginFailure.last_failure_at < forgotten, 1),
                             else_=LoginFailure.failures + 1),
            "last_failure_at": now,
        },
    ).returning(LoginFailure.failures)
    failures = db.session.execute(statement).scalar_one()
    delay = delay_after(failures)
    if delay:
        db.session.execute(
            update(LoginFailure).where(LoginFailure.email == _key(email))
            .values(delayed_until=now + timedelta(seconds=delay))
            .execution_options(synchronize_session=False)
        )
    return failures, delay


def clear(email: str) -> bool:
    """Forget the failures of ``email``; whether there were any."""
    result = db.session.execute(
        delete(LoginFailure).where(LoginFailure.email == _key(email))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def delayed_accounts() -> list[tuple[User, LoginFailure]]:
    """Accounts whose failures delay their logins (or will again at the next failure),
    latest first: for the managers' user list. Unknown addresses are left out."""
    forgotten = utcnow() - timedelta(hours=current_app.config["LOGIN_FAILURE_MEMORY_HOURS"])
    rows = db.session.execute(
        select(User, LoginFailure).join(LoginFailure, LoginFailure.email == User.email)
        .where(LoginFailure.delayed_until.is_not(None),
               LoginFailure.last_failure_at >= forgotten)
        .order_by(LoginFailure.delayed_until.desc(), User.id)
    ).all()
    return [(user, failure) for user, failure in rows]


def is_delayed(failure: LoginFailure, now: datetime | None = None) -> bool:
    return failure.delayed_until is not None and failure.delayed_until > (now or utcnow())
