"""Settings, read from the environment (prefix ``INCUBATOR_``).

Everything a deployment may change lives here; nothing else reads ``os.environ``.
The secret key is never hard-coded: without ``INCUBATOR_SECRET_KEY`` one is generated once
and kept in the instance folder, so sessions survive restarts.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"INCUBATOR_{name}", default)


def _env_bool(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"  # where ``flask run`` serves by default


def development_base_url() -> str:
    """Where ``flask run`` serves: port 5000, or ``FLASK_RUN_PORT`` (which ``flask run``
    reads too, so the demo command and the links in e-mails name the port really used)."""
    port = (os.environ.get("FLASK_RUN_PORT") or "").strip()
    if port.isascii() and port.isdecimal() and len(port) <= 5 and 0 < int(port) < 65536:
        return f"http://127.0.0.1:{port}"
    return DEVELOPMENT_BASE_URL


NO_BASE_URL = (
    "INCUBATOR_BASE_URL is not set. In production it must be the address users reach the app "
    "at (e.g. https://incubateur.example.org): links in e-mails are built on it, and requests "
    "for any other host are refused."
)


class MissingSetting(RuntimeError):
    """A setting production cannot run without (gunicorn prints the message and exits)."""


def is_production() -> bool:
    """Production: ``INCUBATOR_ENV=production``, which ``gunicorn.conf.py`` sets."""
    return (_env("ENV") or "").strip().lower() == "production"


DEVELOPMENT_SECRET_KEYS = frozenset({"test-secret-key-not-for-production", "dev", "secret",
                                     "changeme", "change-me"})
SECRET_KEY_MIN_LENGTH = 32  # characters: `secrets.token_hex(32)` gives 64


def production_problems(workers: int = 1) -> list[str]:
    """Every setting production lacks or gets wrong, one sentence each (empty: ready).

    ``workers`` is the number of processes that will serve (gunicorn's ``workers``). The
    rules (README, "Running on PostgreSQL (production)"):
    - ``INCUBATOR_BASE_URL`` set (links in e-mails, the one host served) and ``https://``;
    - ``INCUBATOR_SECRET_KEY`` set, not a development value, at least 32 characters: every
      instance signs sessions and links with it (the key generated into the instance folder
      would differ from one machine to the next);
    - ``INCUBATOR_SECURE_COOKIES=1``: cookies only over HTTPS (OWASP ASVS V3.4.1);
    - the database is not SQLite in memory (one per process, lost when it stops);
    - with more than one worker, limits in a shared store (``memory://`` counts in each
      process, so N workers would allow N times the login budget).
    ``INCUBATOR_ALLOW_HTTP=1`` (a trial on one machine, the tests) lifts the two HTTPS rules.
    """
    problems = []
    allow_http = _env_bool("ALLOW_HTTP")
    base_url = (_env("BASE_URL") or "").strip()
    if not base_url:
        problems.append(NO_BASE_URL)
    elif not allow_http and not base_url.lower().startswith("https://"):
        problems.append(f"INCUBATOR_BASE_URL must be an https:// address, not {base_url!r} "
                        "(INCUBATOR_ALLOW_HTTP=1 for a trial without TLS).")
    key = (_env("SECRET_KEY") or "").strip()
    if not key:
        problems.append("INCUBATOR_SECRET_KEY is not set: give every instance the same random "
                        "key, e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'.")
    elif key.lower() in DEVELOPMENT_SECRET_KEYS or len(key) < SECRET_KEY_MIN_LENGTH:
        problems.append(f"INCUBATOR_SECRET_KEY is a development value or shorter than "
                        f"{SECRET_KEY_MIN_LENGTH} characters: use a random key.")
    if not allow_http and not _env_bool("SECURE_COOKIES"):
        problems.append("INCUBATOR_SECURE_COOKIES is not on: set it to 1 so session cookies "
                        "are only sent over HTTPS.")
    database = (_env("DATABASE_URL") or "").strip()
    if database and _memory_sqlite(database):
        problems.append("INCUBATOR_DATABASE_URL is a SQLite database in memory: each process "
                        "would have its own, lost when it stops; use PostgreSQL or a file.")
    limits = (_env("RATELIMIT_STORAGE_URI") or "memory://").strip()
    if workers > 1 and limits.startswith("memory://") and _env_bool("RATELIMIT_ENABLED", True):
        problems.append(f"INCUBATOR_RATELIMIT_STORAGE_URI is memory:// with {workers} workers: "
                        "each would count alone; use Redis "
                        "(redis://127.0.0.1:6379/0) or one worker.")
    log_format = (_env("LOG_FORMAT") or "json").strip().lower()
    if log_format not in ("json", "text"):
        problems.append(f"INCUBATOR_LOG_FORMAT must be json or text, not {log_format!r}.")
    return problems


def _memory_sqlite(url: str) -> bool:
    if not url.startswith("sqlite"):
        return False
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return path.split("?")[0] in ("", ":memory:") or "mode=memory" in url


def check_production(workers: int = 1) -> None:
    """In production (``is_production``), raise ``MissingSetting`` naming every problem of
    ``production_problems`` at once; elsewhere do nothing. gunicorn.conf.py calls it in the
    master before any worker starts."""
    if not is_production():
        return
    problems = production_problems(workers)
    if problems:
        raise MissingSetting("Production settings missing or wrong:\n- " + "\n- ".join(problems))


def resolve_hosts(config: MutableMapping[str, Any]) -> None:
    """Complete ``BASE_URL`` and derive ``TRUSTED_HOSTS`` from it (see README).

    Without a base URL, production refuses to start and development uses ``flask run``'s
    address, with a warning. Flask answers 400 to a request for any host not in
    ``TRUSTED_HOSTS``: the base URL's host plus ``INCUBATOR_TRUSTED_HOSTS`` (comma-separated,
    e.g. ``127.0.0.1`` for a health check)."""
    base_url = (config.get("BASE_URL") or "").strip()
    extra = list(config.get("EXTRA_TRUSTED_HOSTS") or [])
    if not base_url:
        if config.get("PRODUCTION"):
            raise MissingSetting(NO_BASE_URL)
        logging.getLogger("incubator").warning(
            "INCUBATOR_BASE_URL is not set: links are built on %s (development only).",
            development_base_url())
        base_url = development_base_url()
        extra.append("localhost")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise MissingSetting(
            f"INCUBATOR_BASE_URL must look like https://host or https://host/prefix, "
            f"not {base_url!r}.")
    config["BASE_URL"] = base_url.rstrip("/")
    if config.get("TRUSTED_HOSTS") is None:
        config["TRUSTED_HOSTS"] = list(dict.fromkeys([parts.hostname, *extra]))


def instance_path() -> Path:
    return Path(_env("INSTANCE_PATH") or ROOT / "instance").resolve()


def load_secret_key(folder: Path) -> str:
    """The configured secret key, else the one kept in ``folder``, created on first use."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        # O_EXCL: when two processes start at once, only one writes the key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def from_environment(folder: Path, with_secret_key: bool = True) -> dict[str, Any]:
    """The application settings for a real run."""
    database_url = _env("DATABASE_URL")
    document_max_bytes = _env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
    if not database_url:
        folder.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{folder / 'incubator.sqlite3'}"
    return {
        "SECRET_KEY": load_secret_key(folder) if with_secret_key else _env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # PostgreSQL: seconds to wait for a connection before the request gets its 503.
        "DATABASE_CONNECT_TIMEOUT": _env_int("DATABASE_CONNECT_TIMEOUT", 5),
        "POLE_NAME": _env("POLE_NAME", "CADES – Pays de Redon et de Vilaine"),
        "POLE_SHORT_NAME": _env("POLE_SHORT_NAME", "CADES"),
        # The pole's identity for a fresh install; a manager's save on /admin/pole overrides
        # these and the time zone (BABEL_DEFAULT_TIMEZONE) from then on (incubator/pole.py).
        "POLE_TERRITORY": _env("POLE_TERRITORY", "Pays de Redon et de Vilaine"),
        "POLE_CONTACT_EMAIL": _env("POLE_CONTACT_EMAIL", ""),
        "POLE_POSTAL_ADDRESS": _env("POLE_POSTAL_ADDRESS", ""),
        # The logo a manager uploads: at most this many bytes, resized to fit this square.
        "POLE_LOGO_MAX_BYTES": _env_int("POLE_LOGO_MAX_BYTES", 2 * 1024 * 1024),
        "POLE_LOGO_PIXELS": _env_int("POLE_LOGO_PIXELS", 256),
        # Sessions: HttpOnly and SameSite=Lax; Secure is added per response when the request
        # came over HTTPS (see security.py), or always with INCUBATOR_SECURE_COOKIES=1.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES"),
        # Over HTTPS the cookies are also named __Host-… (see auth/sessions.py).
        "SECURE_COOKIES": _env_bool("SECURE_COOKIES"),
        # Server-side sessions (auth/sessions.py): idle timeout, absolute lifetime from login
        # (not sliding), and "stay logged in" (a rotating token, off by default).
        "IDLE_MINUTES": _env_int("IDLE_MINUTES", 30),
        "SESSION_HOURS": _env_int("SESSION_HOURS", 12),
        "REMEMBER_DAYS": _env_int("REMEMBER_DAYS", 14),
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Behind a reverse proxy that sets X-Forwarded-* headers: number of proxies to trust.
        "PROXY_FIX": _env_int("PROXY_FIX", 0),
        # Absolute links (e-mails, exports) are built on this address, never on the request's
        # Host; other hosts get a 400 (see resolve_hosts).
        "PRODUCTION": is_production(),
        "BASE_URL": _env("BASE_URL"),
        "EXTRA_TRUSTED_HOSTS": [
            host.strip() for host in (_env("TRUSTED_HOSTS") or "").split(",") if host.strip()
        ],
        # Password hashing: argon2id with one of the five settings OWASP's Password Storage
        # Cheat Sheet gives as "an equal level of defense" (46 MiB × 1 pass, 19 × 2, 12 × 3,
        # 9 × 4, 7 × 5; 1 lane): 12 MiB × 3 passes. A login holds that memory in its worker
        # for ~45 ms of one core; with 19 MiB a worker peaked over the 100 MB of issue 15, and
        # 12 MiB is the most memory (what makes guessing on GPUs costly) that stays under it
        # (bench/memory.py, docs/performance.md, README). Older hashes are rehashed at login.
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _env_int("ARGON2_MEMORY_COST", 12288),  # KiB = 12 MiB
        "ARGON2_PARALLELISM": _env_int("ARGON2_PARALLELISM", 1),
        "PASSWORD_MIN_LENGTH": 12,
        # Limits per client address (Flask-Limiter). With several processes or instances,
        # give them a shared store, e.g. INCUBATOR_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0
        # (memory:// counts in each process, so N workers would allow N times the budget).
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": _env("RATELIMIT_KEY_PREFIX", "incubator"),
        # A moving window: no double budget across the edge of two fixed windows.
        "RATELIMIT_STRATEGY": _env("RATELIMIT_STRATEGY", "moving-window"),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        # Off: X-RateLimit-* and Retry-After would ride on every limited answer (401, 303…)
        # and replace the login delay's own Retry-After. A 429 gets its real wait (errors.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_PER_IP": _env("LOGIN_LIMIT_PER_IP", "20 per minute;100 per hour"),
        # Wrong current passwords on the password change page, per account (a signed-in guesser).
        "PASSWORD_CHANGE_LIMIT": _env("PASSWORD_CHANGE_LIMIT", "5 per minute;20 per hour"),
        "EMAIL_LIMIT": _env("EMAIL_LIMIT", "5 per hour"),  # reset requests per client address
        "RESET_LIMIT_PER_ADDRESS": _env("RESET_LIMIT_PER_ADDRESS", "3 per hour"),  # per e-mail
        "REGISTER_LIMIT": _env("REGISTER_LIMIT", "20 per hour"),  # every attempt counts
        # Personal data exports (/account/data, a manager's export of someone), per account:
        # each one reads every table about a person and streams their documents.
        "DATA_EXPORT_LIMIT": _env("DATA_EXPORT_LIMIT", "10 per hour"),
        # Failed logins per e-mail address, in the database (see auth/throttle.py): free
        # failures, then a delay doubling per failure up to a cap; forgotten after a quiet spell.
        "LOGIN_FREE_FAILURES": _env_int("LOGIN_FREE_FAILURES", 5),
        "LOGIN_DELAY_BASE_SECONDS": _env_int("LOGIN_DELAY_BASE_SECONDS", 2),
        "LOGIN_DELAY_MAX_SECONDS": _env_int("LOGIN_DELAY_MAX_SECONDS", 15 * 60),
        "LOGIN_FAILURE_MEMORY_HOURS": _env_int("LOGIN_FAILURE_MEMORY_HOURS", 24),
        # A browser that logged in as an account skips that address's delay (its own count).
        "LOGIN_DEVICE_DAYS": _env_int("LOGIN_DEVICE_DAYS", 365),
        # Two-factor authentication (auth/two_factor.py): the roles that must use it until a
        # manager saves the « Sécurité » settings (comma-separated; empty: none), and how
        # long the code step after a right password waits, in minutes.
        "TWO_FACTOR_REQUIRED_ROLES": tuple(
            role.strip() for role in (_env("TWO_FACTOR_REQUIRED_ROLES", "manager") or "").split(",")
            if role.strip()),
        "TWO_FACTOR_PENDING_MINUTES": _env_int("TWO_FACTOR_PENDING_MINUTES", 5),
        # The erasure log (docs/erasure.md): one line per person erased, ids only, replayed
        # after a backup restore; keep it out of the database backups' rotation. Empty:
        # <instance folder>/erasures.jsonl.
        "ERASURE_LOG": _env("ERASURE_LOG", ""),
        # Log lines: "json" (one object a line, an access line per request: security_log.py)
        # or "text"; JSON by default in production, where a log collector reads them.
        "LOG_FORMAT": (_env("LOG_FORMAT") or ("json" if is_production() else "text")).lower(),
        # Where the security log is written, when it is a file this process may rewrite:
        # an erasure then replaces the person's name and address in it (docs/erasure.md).
        "SECURITY_LOG_FILE": _env("SECURITY_LOG_FILE", ""),
        # Tokens sent by e-mail (invitation, password reset): validity in hours.
        "INVITATION_HOURS": _env_int("INVITATION_HOURS", 24 * 7),
        "RESET_HOURS": _env_int("RESET_HOURS", 2),
        # A new e-mail address is confirmed by a link mailed to it (/account): its validity.
        "EMAIL_CHANGE_HOURS": _env_int("EMAIL_CHANGE_HOURS", 24),
        # E-mail change requests per account (each checks the password and may reveal that
        # an address has an account, as registration does).
        "EMAIL_CHANGE_LIMIT": _env("EMAIL_CHANGE_LIMIT", "5 per hour;10 per day"),
        # Mail: SMTP when INCUBATOR_MAIL_SERVER is set, otherwise messages are logged and
        # written to the outbox folder (development).
        "MAIL_SERVER": _env("MAIL_SERVER"),
        "MAIL_PORT": _env_int("MAIL_PORT", 587),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL"),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 10),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Incubateur <no-reply@localhost>"),
        "MAIL_OUTBOX": _env("MAIL_OUTBOX", str(folder / "outbox")),
        # The worker (incubator/worker.py, `flask --app incubator worker`) sends the mails
        # and runs the deferred jobs. Inline: a request that queued work drains the queue
        # itself after its commit, no worker needed (development; never in production,
        # where a request's time must not depend on the mail server).
        "WORKER_INLINE": _env_bool("WORKER_INLINE", not is_production()),
        "WORKER_POLL_SECONDS": float(_env("WORKER_POLL_SECONDS", "1") or 1),
        # A row claimed longer ago than this belonged to a worker that died: due again.
        # Must exceed the longest sending (MAIL_TIMEOUT per SMTP step).
        "WORKER_STUCK_SECONDS": _env_int("WORKER_STUCK_SECONDS", 600),
        # Board: a project with no activity for this many days is marked stalled.
        "STALLED_DAYS": _env_int("STALLED_DAYS", 45),
        "BOARD_COLUMN_CARDS": _env_int("BOARD_COLUMN_CARDS", 20),
        "BOARD_MORE_CARDS": _env_int("BOARD_MORE_CARDS", 200),
        # "Show every card": cards per column in one page (more: the column's "load more").
        "BOARD_ALL_CARDS": _env_int("BOARD_ALL_CARDS", 1000),
        # Rendered board cards kept per process (board/cards.py card_html; 0: none). A card
        # is ~1.5 KB: 2,000 cards are ~4 MB per worker.
        "BOARD_CARD_CACHE": _env_int("BOARD_CARD_CACHE", 2000),
        # Rendered board columns kept per process, in KB of memory (board/pages.py: HTML as
        # Python holds it, 1 to 4 bytes a character, and the keys; 0: none): a 100-card
        # page's part is ~150 KB of characters, a 1,000-card one ~1.5 MB (twice that in
        # memory with French accents, four times with an emoji).
        "BOARD_PAGE_CACHE_KB": _env_int("BOARD_PAGE_CACHE_KB", 8192),
        # A cached board part is rendered again after this many seconds at most: the bound
        # on what a write made outside the app (psql) leaves stale (revisions.py).
        "BOARD_CACHE_SECONDS": _env_int("BOARD_CACHE_SECONDS", 60),
        "BOARD_POLL_SECONDS": _env_int("BOARD_POLL_SECONDS", 15),
        # A closed year's funders' report kept per process (report/cache.py), keyed by the
        # ``report`` revision, this many seconds at most (0: read on every request), and at
        # most this many years × languages: one is ~9 MB at regional scale (12,000 rows,
        # mostly the time per project), far less for a pole of a few hundred projects.
        "REPORT_CACHE_SECONDS": _env_int("REPORT_CACHE_SECONDS", 600),
        "REPORT_CACHE_ENTRIES": _env_int("REPORT_CACHE_ENTRIES", 2),
        # The board's and exports' filter lists (communes in use, mentors, staff, themes,
        # cohorts) kept per process while their `choices` revision holds, at most this many
        # seconds (the bound on writes made outside the app; 0: read on every page).
        "BOARD_FILTER_CHOICES_SECONDS": _env_int("BOARD_FILTER_CHOICES_SECONDS", 60),
        "NOTIFICATION_POLL_SECONDS": _env_int("NOTIFICATION_POLL_SECONDS", 30),  # the bell
        # i18n
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": _env("TIMEZONE", "Europe/Paris"),
        "LANGUAGES": ["fr", "en"],
        # A request body: one document plus 1 MiB of form overhead (see DOCUMENT_MAX_BYTES).
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", document_max_bytes + 1024 * 1024),
        # Documents are stored in the database (see README): at most this many bytes each.
        "DOCUMENT_MAX_BYTES": document_max_bytes,
        # What an OpenDocument or Office file may inflate to once unzipped (zip bombs).
        "DOCUMENT_MAX_UNPACKED_BYTES": _env_int("DOCUMENT_MAX_UNPACKED_BYTES",
                                                20 * document_max_bytes),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Imports of organisations (incubator/imports): the largest file read, checked
        # before parsing (within MAX_CONTENT_LENGTH), where uploads wait for their
        # confirmation (shared by the app servers) and for how long.
        "IMPORT_MAX_BYTES": _env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024),
        "IMPORT_FOLDER": _env("IMPORT_FOLDER", str(folder / "imports")),
        "IMPORT_KEEP_HOURS": _env_int("IMPORT_KEEP_HOURS", 24),
    }


def for_tests(database_url: str) -> dict[str, Any]:
    """Overrides used by the test suite: cheap hashing, captured mail, the test database."""
    return {
        "TESTING": True,
        "PRODUCTION": False,
        "BASE_URL": "http://localhost",
        "EXTRA_TRUSTED_HOSTS": [],
        "SECRET_KEY": "test-secret-key-not-for-production",  # noqa: S105
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "MAIL_SERVER": None,
        "MAIL_OUTBOX": None,
        # A request that queued mail or jobs drains the queue before it answers, in the
        # test's thread: tests see the mails at once (incubator/worker.py).
        "WORKER_INLINE": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Filter lists read on every page: a test sees the data it has just written
        # (tests/test_board.py checks the cache itself).
        "BOARD_FILTER_CHOICES_SECONDS": 0,
        # The tests log managers in with a password alone; the requirement is tested apart.
        "TWO_FACTOR_REQUIRED_ROLES": (),
        "LOG_FORMAT": "text",
        # Each readiness probe checks afresh (production keeps the answer 1 s: main.ready).
        "READY_CACHE_SECONDS": 0,
        # Never the instance folder: a test that erases gives its own file (tmp_path).
        "ERASURE_LOG": os.path.join(tempfile.gettempdir(),
                                    f"incubator-test-erasures-{os.getpid()}.jsonl"),
    }
