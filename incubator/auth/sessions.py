"""Server-side sessions: start, check, end (issue 7, point 2).

Each login creates a ``UserSession`` row. The signed Flask session cookie carries the row id
and a random secret whose SHA-256 hash is in the row; Flask-Login's user loader
(``load_user``) accepts the cookie only while the row is open, the secret matches, the user
is active, the lease is not past ``expires_at`` (login + SESSION_HOURS, not sliding) and the
session was active in the last IDLE_MINUTES. Ending the row (logout, password change or
reset, deactivation, reactivation, role change, "end this session") makes any copy of the
cookie anonymous.

"Stay logged in" is our own cookie, not Flask-Login's (whose value never changes):
``<row id>.<secret>``, hashed in the row, valid REMEMBER_DAYS from login. When the Flask
session is gone or its lease lapsed, the cookie resumes the row on a new lease and is
rotated; an already rotated token that comes back (a stolen copy) ends the session.

``last_seen_at`` is written at most once a minute, and never by the background polls of
``BACKGROUND_ENDPOINTS``: an open board tab must still time out. Every write made while
answering a GET stays on the ``user_sessions`` table.

Over HTTPS (``SECURE_COOKIES`` or an https ``BASE_URL``) both cookies take the ``__Host-``
prefix: Secure, Path=/, no Domain.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_, bindparam, delete, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import EndReason, User, UserSession, utcnow
from ..params import parse_int
from ..security_log import record as log_event
from ..tokens import digest

# Requests made by a timer, not a person: they never count as activity for the idle
# timeout. Any endpoint answering an ``hx-trigger="every …"`` belongs here (a test checks).
BACKGROUND_ENDPOINTS = frozenset({"board.changes", "notifications.bell"})
# Probes (a load balancer, systemd, Kubernetes): no user loaded, no session row touched.
NO_SESSION_ENDPOINTS = frozenset({"static", "main.healthz", "main.ready"})

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
# Two requests sent at once with the same remember cookie (a page and its htmx calls):
# the second one sees the token the first just rotated. Within this window it is only
# refused, not taken for a theft.
REMEMBER_GRACE = timedelta(seconds=30)
# Rows over for this long are deleted at the user's next login (the table stays small).
KEEP_ENDED = timedelta(days=30)

SESSION_ID_KEY = "sid"
SESSION_SECRET_KEY = "skey"  # noqa: S105  (a key name, not a secret)
LEGACY_REMEMBER_COOKIE = "remember_token"  # Flask-Login's, from before this module


def _same(stored: str | None, secret: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, digest(secret))


# -- configuration ---------------------------------------------------------------------------

def is_https(app: Flask) -> bool:
    base_url = str(app.config.get("BASE_URL") or "")
    return bool(app.config.get("SECURE_COOKIES")) or base_url.lower().startswith("https://")


def register_sessions(app: Flask) -> None:
    """Cookie names and flags, and the hooks that check and rotate sessions."""
    config = app.config
    config.setdefault("IDLE_MINUTES", 30)
    config.setdefault("SESSION_HOURS", 12)
    config.setdefault("REMEMBER_DAYS", 14)
    # The lifetime is checked on the server; the cookie (never "permanent") lasts as long
    # as the browser, and is not re-sent on every request.
    config["SESSION_REFRESH_EACH_REQUEST"] = False
    if is_https(app):
        config["SESSION_COOKIE_SECURE"] = True
        config["SESSION_COOKIE_NAME"] = "__Host-session"
        config["SESSION_COOKIE_PATH"] = "/"
        config["SESSION_COOKIE_DOMAIN"] = None
        config["SESSION_REMEMBER_COOKIE"] = "__Host-remember"
    else:
        config.setdefault("SESSION_REMEMBER_COOKIE", "remember")
    app.before_request(_before_request)
    app.after_request(_after_request)


# -- checking --------------------------------------------------------------------------------

def _lapsed(row: UserSession, now: datetime) -> EndReason | None:
    """Why the row's lease is over (absolute lifetime, then idle time), or None."""
    if now >= row.expires_at:
        return EndReason.EXPIRED
    if now - row.last_seen_at > timedelta(minutes=current_app.config["IDLE_MINUTES"]):
        return EndReason.IDLE
    return None


def _remembered(row: UserSession, now: datetime) -> bool:
    return bool(row.remember_hash and row.remember_expires_at and now < row.remember_expires_at)


def _is_background() -> bool:
    return request.endpoint in BACKGROUND_ENDPOINTS


# The session row and its user in one statement, built once: SQLAlchemy keeps its compiled
# SQL, but building the statement (and its cache key) at each request cost as much as
# running it (docs/performance.md, "Per-request costs").
_SESSION_WITH_USER = (select(UserSession).options(joinedload(UserSession.user))
                      .where(UserSession.id == bindparam("row_id")))


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of a valid, open session, else None. One
    statement (the session row joined with its user), plus an UPDATE of ``last_seen_at``
    at most once a minute (``TOUCH_EVERY``)."""
    row_id, secret = session.get(SESSION_ID_KEY), session.get(SESSION_SECRET_KEY)
    user_number = parse_int(user_id)
    if user_number is None or not isinstance(row_id, int) or not isinstance(secret, str):
        return None
    row = db.session.execute(_SESSION_WITH_USER, {"row_id": row_id}).scalar_one_or_none()
    if (row is None or row.user_id != user_number or row.ended_at is not None
            or not _same(row.secret_hash, secret)):
        return None
    user = row.user
    if not user.active:
        return None
    now = utcnow()
    if lapsed := _lapsed(row, now):
        # A remembered session waits for its remember cookie to start a new lease.
        if not _remembered(row, now):
            _end(row, lapsed, now)
            db.session.commit()
        return None
    if not _is_background() and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    g.user_session = row
    return user


def current() -> UserSession | None:
    """The session row of this request, when a user is logged in."""
    if not current_user.is_authenticated:
        return None
    return g.get("user_session")


def _before_request() -> None:
    # Load the user now, before the view writes anything: the loader may commit its
    # bookkeeping, which must never carry a view's half-done work.
    if request.endpoint in NO_SESSION_ENDPOINTS:
        return
    if not current_user.is_authenticated and request.cookies.get(_remember_cookie_name()):
        _resume_from_remember_cookie()


# -- starting and renewing -------------------------------------------------------------------

def _fresh_flask_session(user: User, row: UserSession, secret: str, *, fresh: bool = True) -> None:
    """A new session cookie content (so a new session id), keeping only the language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, fresh=fresh)
    session[SESSION_ID_KEY] = row.id
    session[SESSION_SECRET_KEY] = secret
    g.user_session = row
    # The CSRF secret went with the old session: a token Flask-WTF already made (and keeps
    # in ``g``) for this request would be refused; forms rendered from here get a new one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _new_lease(row: UserSession, now: datetime) -> str:
    """A new session secret and absolute end for ``row``; returns the clear secret."""
    secret = secrets.token_urlsafe(32)
    row.secret_hash = digest(secret)
    row.last_seen_at = now
    row.expires_at = now + timedelta(hours=current_app.config["SESSION_HOURS"])
    if row.remember_expires_at is not None:
        row.expires_at = min(row.expires_at, row.remember_expires_at)
    return secret


def _rotate_remember(row: UserSession, now: datetime) -> None:
    token = secrets.token_urlsafe(32)
    row.remember_previous_hash = row.remember_hash
    row.remember_hash = digest(token)
    row.remember_rotated_at = now
    g.remember_cookie = (f"{row.id}.{token}", row.remember_expires_at)


def start(user: User, *, remember: bool = False, how: str = "password") -> UserSession:
    """Log ``user`` in on a new session row and a fresh session cookie. Flushes; the caller
    commits. ``how`` says what opened it (password, register, reset, invite) in the log."""
    now = utcnow()
    row = UserSession(
        user_id=user.id, created_at=now, secret_hash="", expires_at=now,
        user_agent=(request.user_agent.string or "")[:255] or None,
        ip=(request.remote_addr or "")[:45] or None,
    )
    if remember:
        row.remember_expires_at = now + timedelta(days=current_app.config["REMEMBER_DAYS"])
    secret = _new_lease(row, now)
    _prune(user, now)
    db.session.add(row)
    db.session.flush()
    if remember:
        _rotate_remember(row, now)
    _fresh_flask_session(user, row, secret)
    log_event("login.succeeded", user_id=user.id, session_id=row.id, remember=remember,
              how=how)
    return row


def _prune(user: User, now: datetime) -> None:
    """Delete ``user``'s sessions that ended, or could no longer be used, long ago."""
    cutoff = now - KEEP_ENDED
    db.session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id,
               or_(UserSession.ended_at < cutoff,
                   and_(UserSession.expires_at < cutoff,
                        or_(UserSession.remember_expires_at.is_(None),
                            UserSession.remember_expires_at < cutoff))))
        .execution_options(synchronize_session=False)
    )


def renew() -> None:
    """Keep the current session but on a new secret and a new session cookie (after a
    password change: a copy of the old cookie is worth nothing). Flushes."""
    row = current()
    if row is None:
        return
    now = utcnow()
    secret = _new_lease(row, now)
    if row.remember_hash:
        _rotate_remember(row, now)
        row.remember_previous_hash = None  # the old token is just invalid, not a theft sign
    _fresh_flask_session(current_user._get_current_object(), row, secret)
    db.session.flush()


def _resume_from_remember_cookie() -> None:
    """Resume a remembered session on a new lease and rotate its token, or forget the
    cookie. Commits (it writes only the session row)."""
    row_id, _, token = request.cookies[_remember_cookie_name()].partition(".")
    row = None
    if (number := parse_int(row_id)) is not None and token:
        row = db.session.get(UserSession, number, options=[joinedload(UserSession.user)])
    now = utcnow()
    if row is None or row.ended_at is not None or not row.remember_hash:
        _forget_remember_cookie()
        return
    if _same(row.remember_hash, token):
        if not row.user.active:
            _forget_remember_cookie()
            return
        if not _remembered(row, now):
            _end(row, EndReason.EXPIRED, now)
            db.session.commit()
            return
        secret = _new_lease(row, now)
        _rotate_remember(row, now)
        _fresh_flask_session(row.user, row, secret, fresh=False)
        g.session_resumed = True  # auth.routes.enrol_first asks whether enrolment is owed
        db.session.commit()
        return
    if _same(row.remember_previous_hash, token):
        if row.remember_rotated_at and now - row.remember_rotated_at < REMEMBER_GRACE:
            return  # a request that raced the rotation: anonymous this once, cookie kept
        _end(row, EndReason.REMEMBER_REUSED, now)
        db.session.commit()
    _forget_remember_cookie()


# -- ending ----------------------------------------------------------------------------------

def _end(row: UserSession, reason: EndReason, now: datetime | None = None) -> None:
    row.ended_at = now or utcnow()
    row.ended_reason = reason.value
    row.remember_hash = None
    row.remember_previous_hash = None
    fields = {"user_id": row.user_id, "session_id": row.id, "reason": reason.value}
    if reason not in (EndReason.IDLE, EndReason.EXPIRED, EndReason.REMEMBER_REUSED):
        by = getattr(g.get("_login_user"), "id", None)
        if by is not None and by != row.user_id:
            fields["by_user_id"] = by
    log_event("session.revoked", **fields)


def end(reason: EndReason) -> None:
    """End the current session (and forget its remember cookie). Flushes."""
    row = current()
    if row is not None:
        _end(row, reason)
        db.session.flush()
    _forget_remember_cookie()


def end_one(user: User, row_id: int, reason: EndReason = EndReason.ENDED_BY_USER) -> bool:
    """End one open session of ``user`` other than the current one; False if none."""
    row = db.session.get(UserSession, row_id)
    this = current()
    if (row is None or row.user_id != user.id or row.ended_at is not None
            or (this is not None and row.id == this.id)):
        return False
    _end(row, reason)
    db.session.flush()
    return True


def end_all(user: User, reason: EndReason, *, except_current: bool = False) -> int:
    """End every open session of ``user`` (but this one with ``except_current``). Flushes;
    returns how many were ended."""
    statement = select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    this = current()
    if except_current and this is not None:
        statement = statement.where(UserSession.id != this.id)
    rows = list(db.session.scalars(statement))
    now = utcnow()
    for row in rows:
        _end(row, reason, now)
    if this is not None and not except_current and this in rows:
        _forget_remember_cookie()
    db.session.flush()
    return len(rows)


def logout() -> None:
    """End the current session, forget its cookies, keep the language. Flushes."""
    user_id = current_user.get_id()
    end(EndReason.LOGOUT)
    log_event("logout", user_id=parse_int(user_id))
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale


def open_sessions(user: User) -> list[UserSession]:
    """``user``'s sessions that a cookie could still use, most recently seen first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
               or_(UserSession.expires_at > now, UserSession.remember_expires_at > now))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return [row for row in rows if _lapsed(row, now) is None or _remembered(row, now)]


# -- the remember cookie ---------------------------------------------------------------------

def _remember_cookie_name() -> str:
    return current_app.config["SESSION_REMEMBER_COOKIE"]


def _forget_remember_cookie() -> None:
    if request.cookies.get(_remember_cookie_name()) or g.get("remember_cookie"):
        g.remember_cookie = None


def _after_request(response: Response) -> Response:
    config = current_app.config
    name = _remember_cookie_name()
    if "remember_cookie" in g:
        if g.remember_cookie is None:
            response.delete_cookie(name, path="/", secure=config["SESSION_COOKIE_SECURE"],
                                   httponly=True, samesite="Lax")
        else:
            value, expires = g.remember_cookie
            response.set_cookie(name, value, expires=expires, path="/",
                                secure=config["SESSION_COOKIE_SECURE"], httponly=True,
                                samesite="Lax")
    if LEGACY_REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_REMEMBER_COOKIE)
    return response
