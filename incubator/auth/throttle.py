"""Failed logins, counted in the database per submitted address, with a progressive delay.

The counter lives in the database, so every process and every instance behind a load
balancer shares it, and each failure is one atomic upsert (``failures = failures + 1``), so
parallel attempts all count. It is kept per address *as typed*, whether or not an account
uses it: an unknown address is delayed exactly like a known one, so the delay tells nothing.

Each attempt is counted before its password is checked (``begin_attempt``) and uncounted
when it succeeds, so a burst of parallel attempts gets no more guesses than the budget.

It is a delay, not a lock: the first ``LOGIN_FREE_FAILURES`` - 1 failures cost nothing;
from then on each failure makes the next attempt wait ``LOGIN_DELAY_BASE_SECONDS``, doubled
per failure, capped at ``LOGIN_DELAY_MAX_SECONDS``. An attempt during the delay is refused
without the password being checked (so guessing stops) and without counting as a failure
(so an attacker cannot extend it). A successful login, a password set through an e-mailed
link, or a manager clears it; failures are forgotten after ``LOGIN_FAILURE_MEMORY_HOURS``
without any.

So that an attacker who keeps failing cannot keep the owner out, a browser that logged in as
an account before carries a *known device* cookie for it (OWASP's device cookies): its
attempts for that address skip the address's delay and are counted on their own key instead
(``device:<nonce>``), with the same progressive delay, so a stolen cookie buys no more
guesses than a fresh address. The cookie is opaque (a nonce and an HMAC of nonce and address
under the secret key), HttpOnly, sent to the login form only.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from flask import after_this_request, current_app, g, request, url_for
from flask_login import user_logged_in
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import LoginFailure, User, utcnow

DEVICE_COOKIE = "known_device"
DEVICE_PREFIX = "device:"  # no e-mail address starts so (a colon needs quotes there)


def _key(email: str) -> str:
    if email.startswith(DEVICE_PREFIX):
        return email
    return (email or "").strip().lower()[:254]


def _device_mac(nonce: str, email: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"incubator.known-device:{nonce}:{_key(email)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def known_device(email: str) -> str | None:
    """The counter key of this browser if it logged in as ``email`` before, else None."""
    nonce, _, mac = request.cookies.get(DEVICE_COOKIE, "").partition(".")
    if not nonce or len(nonce) > 64 or not hmac.compare_digest(mac, _device_mac(nonce, email)):
        return None
    return DEVICE_PREFIX + nonce


def begin_attempt(email: str) -> int:
    """Count this login attempt as a failure *before* the password is checked, in one
    statement that refuses while a delay runs; returns the wait (0: check the password, then
    call ``attempt_succeeded`` or ``attempt_failed``). Commit at once: parallel attempts, on
    any process, then each see those before them, so no burst gets past the budget.

    The key is this browser's known device if it has one for ``email`` (the address counts
    too, without a say), else the address."""
    device = known_device(email)
    counted = record_failure(device or email, unless_delayed=True)
    if counted is None:
        return max(1, seconds_to_wait(device or email))
    if device:
        record_failure(email)
    g.login_attempt = counted
    return 0


def attempt_failed(email: str) -> tuple[int, int]:
    """The (failures, delay) that this failed attempt, counted by ``begin_attempt``, set."""
    return g.get("login_attempt", (0, 0))


def attempt_succeeded(email: str) -> None:
    clear(email)
    if device := known_device(email):
        clear(device)


@user_logged_in.connect
def _remember_device(app, user, **extra) -> None:
    """Whoever logs in (password, e-mailed link, registration) gets the device cookie."""
    nonce = secrets.token_urlsafe(16)
    value = f"{nonce}.{_device_mac(nonce, user.email)}"

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=app.config["LOGIN_DEVICE_DAYS"] * 24 * 3600,
            path=url_for("auth.login"), httponly=True, samesite="Lax",
            secure=bool(app.config.get("SESSION_COOKIE_SECURE")))
        return response


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


def record_failure(email: str, unless_delayed: bool = False) -> tuple[int, int] | None:
    """Count one failure for ``email``; returns (failures so far, delay now imposed), or
    None when ``unless_delayed`` and a delay runs (then nothing is counted)."""
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
        where=(or_(LoginFailure.delayed_until.is_(None), LoginFailure.delayed_until <= now)
               if unless_delayed else None),
    ).returning(LoginFailure.failures)
    failures = db.session.execute(statement).scalar_one_or_none()
    if failures is None:
        return None
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
    latest first: for the managers' user list. Unknown addresses and devices are left out."""
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
