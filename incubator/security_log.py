"""The security log, request ids and JSON logs (OWASP ASVS V7: security events recorded,
errors quiet).

Every request gets an id (``g.request_id``, 32 hex characters, or the ``X-Request-Id`` the
trusted reverse proxy sends: nginx's ``$request_id``, deploy/nginx), sent back in
``X-Request-ID``, shown on the 500 page as the incident reference and carried by every log
line of the request.

With ``LOG_FORMAT = "json"`` (``INCUBATOR_LOG_FORMAT``; the default in production) every
``incubator.*`` log line is one JSON object (``JsonFormatter``) and ``incubator.access``
writes one line per request: status, duration_ms, ip, bytes, with method, path and user id.

``record(event, **fields)`` writes one security event to the ``incubator.security`` logger as
one JSON object a line: ``{"time": "2026-11-30T10:00:00.123456Z", "event": "login.failed",
"request_id": …, "user_id": …, "ip": …, …fields}``. Times are UTC. JSON escapes line breaks,
so a user's text can never forge a line. Never pass passwords, hashes, tokens, cookies or
note bodies: the keys in ``FORBIDDEN_KEYS`` are refused with ``ValueError``, whatever else
the caller meant.

Events in use (one name per kind, ``noun.verb``): ``login.succeeded``, ``login.failed``,
``login.delayed``, ``logout``, ``session.revoked``, ``access.denied`` (403), ``user.invited``
(staff invitation, invitation sent again, co-holder account created: ``auth.services.create_user``),
``user.role_changed``, ``user.deactivated``, ``user.reactivated``, ``password.changed``,
``password.change_failed`` (wrong current password on /account/password),
``password.reset_requested``, ``password.reset``, ``login.delay_cleared``, ``host.refused`` (a
request for an untrusted host, 400), ``rate_limit.exceeded`` (any Flask-Limiter 429, with its
``scope``: ``client`` address, ``reset`` e-mail address or ``password`` account; see
``extensions._limit_breached``), ``export.downloaded`` (a CSV or XLSX export: ``export``,
``format``, ``rows``, and for the entity exports of /exports their ``filters``; ``exports``),
``pole.changed`` (a manager saved the pole's identity on /admin/pole: the ``fields`` changed),
``user.invitation_revoked`` (a pending invitation withdrawn: ``target_id``, ``by_id``),
``team.handed_over`` (a departing advisor's work handed to another: ``from_id``, ``to_id``,
``projects``, ``steps``; each project's timeline has its ``advisor_handed_over`` event),
``two_factor.enrolled`` (a first code confirmed the app: ``target_id``),
``two_factor.disabled`` (by its owner, with password and code), ``two_factor.reset`` (by a
manager: ``target_id``, ``by_id``), ``two_factor.code_refused`` (a wrong, reused or delayed
code: ``target_id``, ``kind`` totp / recovery_code / enrolment / delayed),
``two_factor.recovery_code_used`` (``target_id``, ``codes_left``),
``two_factor.recovery_codes_renewed``, ``two_factor.disable_refused`` and
``two_factor.enrolment_refused`` (wrong password),
``security.settings_changed`` (who must use two-factor: ``managers``, ``advisors``,
``mentors``); a login completed with a code is a ``login.succeeded`` whose ``how`` is
``totp`` or ``recovery_code``; ``personal_data.exported`` (a GDPR data export downloaded,
issue 14: ``subject`` user, organisation_contact or partner_contact, ``subject_id``,
``by_id``, ``own`` true for one's own data, ``documents`` the number of files; never the
person's name or address);
``email.change_requested`` (a new address asked on /account: ``change_id``; never the
addresses), ``email.changed`` (its link confirmed: ``change_id``), ``email.change_cancelled``,
``account.closure_requested`` (``closure_id``, ``role``), ``account.closure_cancelled`` (by
the requester), ``account.closure_answered`` (by a manager: ``target_id``, ``closure_id``,
``status`` handled or declined); ``password.change_failed`` also carries
``where="email_change"`` for a wrong password on the e-mail change form;
``person.erased`` (a person erased on request by a manager, or by the retention purge: the
erasure's ``number``, ``kind`` ``user`` or ``contact``, ``by_id``, or ``reason`` ``retention``
and no ``by_id``; never the erased identity: docs/erasure.md), ``retention.changed`` (a
manager saved the retention periods on /admin/retention: the ``fields`` changed),
``retention.purged`` (a real run of ``flask purge``: ``counts`` per kind; the run is also a
``PurgeRun`` row); ``outbox.retried`` (a manager's "retry now" on /admin/outbox: ``kind``
mails or jobs, ``row_id``).
Add new kinds to this list.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request

LOGGER_NAME = "incubator.security"
logger = logging.getLogger(LOGGER_NAME)

# Keys that would put a secret in the log; ``record`` refuses them.
FORBIDDEN_KEYS = frozenset(
    {"password", "password_hash", "hash", "token", "secret", "cookie", "session", "body",
     "text", "code"}
)


# URL arguments that are secrets (``/auth/password/<token>``): never logged as typed.
SECRET_ARGUMENTS = frozenset({"token", "secret", "code"})


def request_id() -> str | None:
    """The current request's id, or None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


def _current_user_id() -> int | None:
    # Imported late: flask_login's proxy needs a request, and this module sits low.
    from flask_login import current_user

    try:
        if current_user and current_user.is_authenticated:
            return int(current_user.get_id())
    except Exception:  # noqa: BLE001  (a broken session must not break the log)
        return None
    return None


# Characters that end or bend a line of a text log (the path is percent-decoded: ``%0A``).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def printable(value: str) -> str:
    """``value`` with its control characters (line breaks included) written ``\\x0a``: a
    text log line can hold it without a forged line after it."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", value)


def loggable_path() -> str:
    """The request's path, or its route's rule when the path carries a secret (a password
    link's token): ``/auth/password/<token>``. Never the query string; control characters
    escaped (``printable``)."""
    rule = request.url_rule
    if rule is not None and any(name in SECRET_ARGUMENTS for name in rule.arguments):
        return rule.rule
    return printable(request.path)



def record(event: str, **fields: Any) -> None:
    """Write one security event (see the module docstring for its shape).

    ``fields`` are JSON-able values about the event (ids, roles, e-mail addresses of the
    accounts concerned, reasons); ``user_id`` defaults to the logged-in user. Raises
    ``ValueError`` for a key of ``FORBIDDEN_KEYS``.
    """
    forbidden = FORBIDDEN_KEYS.intersection(fields)
    if forbidden:
        raise ValueError(f"never log secrets: {sorted(forbidden)}")
    entry: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "event": event,
        "request_id": request_id(),
        "user_id": fields.pop("user_id", None) if "user_id" in fields else None,
        "ip": None,
    }
    if has_request_context():
        if entry["user_id"] is None:
            entry["user_id"] = _current_user_id()
        entry["ip"] = request.remote_addr
        entry["method"] = request.method
        entry["path"] = loggable_path()
    entry.update(fields)
    logger.info(json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":")))


class _RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record, so a formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or "-"
        return True


def quiet_database_error(error: BaseException) -> str | None:
    """A one-line description of a database error without any row value, or None when
    ``error`` is not one. PostgreSQL's own message carries values in its DETAIL ("Key
    (email)=(…) already exists", "Failing row contains (…)"), which ``hide_parameters`` does
    not cover: keep the SQLSTATE, the constraint and the primary message only."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError):
        return None
    original = error.orig
    diag = getattr(original, "diag", None)
    if diag is not None:  # psycopg
        return (f"{type(error).__name__} ({diag.sqlstate}, constraint {diag.constraint_name}): "
                f"{diag.message_primary} [SQL: {error.statement}]")
    # SQLite's messages name the constraint, never the values.
    return f"{type(error).__name__}: {original} [SQL: {error.statement}]"


def _log_exception(app: Flask, exc_info) -> None:
    """Flask's ``log_exception`` with database errors told without their row values."""
    import traceback

    error = exc_info[1] if isinstance(exc_info, tuple) else None
    quiet = quiet_database_error(error) if error is not None else None
    where = f"Exception on {loggable_path()} [{request.method}]"
    if quiet is None:
        app.logger.error(where, exc_info=exc_info)
        return
    trace = "".join(traceback.format_tb(exc_info[2]))
    app.logger.error("%s\nTraceback (most recent call last):\n%s%s", where, trace, quiet)


# An id a trusted proxy may pass on (nginx's ``$request_id`` is 32 hex digits).
_GIVEN_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _start_request() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    # Only from the reverse proxy the app trusts (PROXY_FIX > 0, deploy/nginx): a client's
    # own header would let it forge ids in the log.
    if current_app.config.get("PROXY_FIX") and _GIVEN_REQUEST_ID.fullmatch(given):
        g.request_id = given
    else:
        g.request_id = secrets.token_hex(16)


def _send_request_id(response: Response) -> Response:
    if rid := request_id():
        response.headers["X-Request-ID"] = rid
    return response


# JSON logs ------------------------------------------------------------------------------

ACCESS_LOGGER_NAME = "incubator.access"
access_logger = logging.getLogger(ACCESS_LOGGER_NAME)


def _utc_time(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _loaded_user_id() -> int | None:
    """The user id when this request already loaded its user, else None: the log never
    makes a request read the session or the database (a static file, an anonymous page)."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return int(user.get_id())
    except (TypeError, ValueError):
        return None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``{"time": "2026-12-01T10:00:00.123Z", "level": "INFO",
    "logger": "incubator.access", "message": "request", "request_id": …}``, then, inside a
    request, ``method``, ``path`` (a secret's place in it replaced by the rule, never the
    query string) and ``user_id``, then the record's ``fields`` (``extra={"fields": {…}}``)
    and ``exception`` (the traceback text). JSON escapes line breaks: nothing a user types can
    start a line of its own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        if entry["request_id"] == "-":
            entry["request_id"] = None
        if has_request_context():
            entry["method"] = request.method
            entry["path"] = loggable_path()
            entry["user_id"] = _loaded_user_id()
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in FORBIDDEN_KEYS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))


def _log_request(response: Response) -> Response:
    """The access log: one line per request answered (JSON logs only; see ``LOG_FORMAT``).
    ``duration_ms`` runs from the first hook to the response built (a streamed export's
    body is sent after)."""
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    access_logger.info("request", extra={"fields": {
        "status": response.status_code,
        "duration_ms": round(duration, 1) if duration is not None else None,
        "ip": request.remote_addr,
        "bytes": response.calculate_content_length(),
    }})
    return response


def _json_logs(app: Flask) -> None:
    """Every ``incubator.*`` logger (the app's, the access log) writes JSON lines to stderr,
    where gunicorn and systemd's journal take them; INFO and above."""
    from flask.logging import default_handler

    app_logger = logging.getLogger("incubator")
    if default_handler in app_logger.handlers:
        app_logger.removeHandler(default_handler)
        app_logger.incubator_default_removed = True  # type: ignore[attr-defined]
    if not any(getattr(h, "incubator_json", False) for h in app_logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.incubator_json = True  # type: ignore[attr-defined]
        app_logger.addHandler(handler)
    for handler in app_logger.handlers:
        if getattr(handler, "incubator_json", False):
            handler.setFormatter(JsonFormatter())
    app_logger.setLevel(logging.INFO)
    access_logger.setLevel(logging.INFO)
    app.after_request(_log_request)


def _text_logs() -> None:
    """Undo ``_json_logs`` (another app of the same process, in the tests, logs text)."""
    from flask.logging import default_handler

    app_logger = logging.getLogger("incubator")
    for handler in [h for h in app_logger.handlers if getattr(h, "incubator_json", False)]:
        app_logger.removeHandler(handler)
    if getattr(app_logger, "incubator_default_removed", False):
        app_logger.addHandler(default_handler)
        app_logger.incubator_default_removed = False  # type: ignore[attr-defined]
        app_logger.setLevel(logging.NOTSET)


def register_security_log(app: Flask) -> None:
    """Request ids on every request and response; the security logger's handler; the
    request id on the application's own log lines (errors included)."""
    app.log_exception = lambda exc_info: _log_exception(app, exc_info)  # type: ignore[method-assign]
    app.before_request(_start_request)
    app.after_request(_send_request_id)
    if not any(getattr(h, "incubator_security", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.incubator_security = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    from flask.logging import default_handler

    # On the logger (it stamps the record before any handler, ours or a host's, sees it).
    if not any(isinstance(f, _RequestIdFilter) for f in app.logger.filters):
        app.logger.addFilter(_RequestIdFilter())
    default_handler.setFormatter(
        logging.Formatter("[%(asctime)s] %(levelname)s request=%(request_id)s in %(module)s: "
                          "%(message)s")
    )
    if app.config.get("LOG_FORMAT") == "json":
        _json_logs(app)
    else:
        _text_logs()
