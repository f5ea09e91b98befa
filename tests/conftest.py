"""Fixtures: an app per test on a fresh database, a CSRF-aware client, logins, factories.

The database is SQLite in memory by default; set INCUBATOR_TEST_DATABASE_URL to a
PostgreSQL URL to run the same suite there. On PostgreSQL the schema is built once per run
and every table is emptied before each test.

Under pytest-xdist (``-n auto``, the README's command) each worker process has its own
databases: SQLite in memory or under its own ``tmp_path`` already; on PostgreSQL the worker
``gw0`` creates ``<database>_gw0`` beside the given database (the test user needs CREATEDB,
as a superuser has), works there, and drops it when its session ends.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import stamp
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import URLSafeTimedSerializer
from jinja2 import BytecodeCache
from sqlalchemy import Integer, create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool, StaticPool
from werkzeug.routing.rules import Rule

from incubator import config as settings
from incubator import create_app
from incubator.extensions import db
from incubator.models import Project, User
from incubator.reference import seed_reference_data

from . import factories

# The xdist worker this process is ("gw0", "gw1", ...), None when the suite runs in one process.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
GIVEN_DATABASE_URL = os.environ.get("INCUBATOR_TEST_DATABASE_URL", "sqlite://")


def is_postgres(url: str | None = None) -> bool:
    return (url if url is not None else TEST_DATABASE_URL).startswith("postgresql")


def worker_database_url(url: str, worker: str | None) -> str:
    """The PostgreSQL database of one xdist worker: ``…/incubator_ci`` → ``…/incubator_ci_gw0``.

    SQLite URLs and runs without workers keep ``url`` as it is."""
    if worker is None or not is_postgres(url):
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False)


TEST_DATABASE_URL = worker_database_url(GIVEN_DATABASE_URL, XDIST_WORKER)
_schema_ready: set[str] = set()
# SQLite: an empty database with the schema, the Alembic stamp and the reference data, built
# once per process and copied into each test's database (sqlite3's backup API, milliseconds)
# instead of creating ~40 tables, loading the migration scripts and seeding every time.
_sqlite_template: sqlite3.Connection | None = None
# PostgreSQL: the reference data's rows, by table, as the first seeding of the process wrote
# them (see _seed_postgres_reference_data).
_postgres_reference: dict | None = None


# An app per test pays for what werkzeug and Jinja compile for it, though the same code comes
# out every time: each process compiles it once (the apps behave as before).
# Werkzeug compiles two URL builders per rule (~140 rules) with ``ast`` and ``compile``,
# ~70 ms an app. A builder depends only on the rule's text, its parsed parts and defaults
# (converters are looked up on the rule it is bound to), so alike rules share one.
_url_builders: dict[tuple, object] = {}
_compile_builder = Rule._compile_builder


def _shared_url_builder(rule: Rule, append_unknown: bool = True):
    key = (rule.rule, append_unknown, tuple(rule._trace),
           repr(sorted((rule.defaults or {}).items())))
    builder = _url_builders.get(key)
    if builder is None:
        builder = _url_builders[key] = _compile_builder(rule, append_unknown)
    return builder


Rule._compile_builder = _shared_url_builder

# Binding a rule to an app's map parses its text into regular-expression parts and
# converters (another ~40 ms an app): the result depends only on the rule's text, where it
# matches and the map's converter classes, so alike rules share it. (Converters keep the
# first map they were made for; ours and werkzeug's never read it.)
_parsed_rules: dict[tuple, tuple] = {}
_compile_rule = Rule.compile


def _shared_compile(self: Rule) -> None:
    key = (self.rule, self.host, self.subdomain, self.merge_slashes, self.map.host_matching,
           tuple(sorted(self.map.converters.items())))
    parsed = _parsed_rules.get(key)
    if parsed is None:
        _compile_rule(self)
        _parsed_rules[key] = (list(self._parts), list(self._trace), dict(self._converters))
        return
    parts, trace, converters = parsed
    self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
    self.arguments.update(converters)
    self._build = self._compile_builder(False).__get__(self, None)
    self._build_unknown = self._compile_builder(True).__get__(self, None)


Rule.compile = _shared_compile


# SQLAlchemy compiles each statement for the engine's dialect and keeps it in caches keyed
# by that dialect (the engine's, and each mapper's for its INSERTs and UPDATEs). An engine per
# test compiled every statement again (about a third of a test's time) and filled the mappers'
# caches with dead dialects, which made every full garbage collection scan hundreds of
# thousands of objects. The apps built on the test database therefore share one engine per
# set of options, as a process's requests do in production. On SQLite in memory the engine's
# one connection is the database: ``dispose`` at the end of a test closes it, and the next
# test gets an empty one, filled from the template (reset_database); the browser tests' live
# server uses one file per process (tests/browser/conftest.py), copied over the same way.
# Other URLs (a test's own file) get their own engine, as before.
_engines: dict[str, Engine] = {}
_make_engine = SQLAlchemy._make_engine
SHARED_ENGINE_URLS = {TEST_DATABASE_URL}


def _shared_engine(self, bind_key, options, app) -> Engine:
    url = make_url(options["url"]).render_as_string(hide_password=False)
    if url not in SHARED_ENGINE_URLS:
        return _make_engine(self, bind_key, options, app)
    key = repr(sorted((name, repr(value)) for name, value in options.items()))
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = _make_engine(self, bind_key, options, app)
    return engine


SQLAlchemy._make_engine = _shared_engine

# Python's full garbage collections scan every object the process holds: the modules, the
# compiled templates and statements, which live until the end. Once a test has built them,
# they are moved out of the collector's sight (gc.freeze), and again every few hundred tests
# for what later tests added; a test's own objects are still collected as before.
_tests_run = 0


def pytest_runtest_logfinish(nodeid, location) -> None:
    global _tests_run
    _tests_run += 1
    if _tests_run == 1 or _tests_run % 300 == 0:
        gc.collect()
        gc.freeze()


class MemoryBytecodeCache(BytecodeCache):
    """Jinja compiles each template an app renders and keeps it for that app only; this
    keeps the compiled code for the process's later apps (a bucket holds the source's
    checksum: an edited template is compiled again)."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_template_code = MemoryBytecodeCache()


def _on_given_database(*statements: str) -> None:
    """Run ``statements`` outside a transaction on the given PostgreSQL database (CREATE and
    DROP DATABASE cannot run in one)."""
    engine = create_engine(GIVEN_DATABASE_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def pytest_sessionstart(session) -> None:
    """An xdist worker on PostgreSQL creates its own empty database (any leftover of an
    interrupted run is dropped first)."""
    if TEST_DATABASE_URL != GIVEN_DATABASE_URL:
        name = make_url(TEST_DATABASE_URL).database
        _on_given_database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                           f'CREATE DATABASE "{name}"')


def pytest_sessionfinish(session, exitstatus) -> None:
    """…and drops it at the end, whatever connections the tests left open."""
    if TEST_DATABASE_URL != GIVEN_DATABASE_URL:
        name = make_url(TEST_DATABASE_URL).database
        _on_given_database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Client(FlaskClient):
    """A test client that fills in the CSRF token the way a browser form or htmx would.

    ``csrf=False`` sends a request without one (to prove CSRF protection);
    ``htmx=True`` sends it as htmx does (``HX-Request`` header, token in ``X-CSRFToken``).
    Pages are asked in English unless the request says otherwise.
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324
            raw = session["csrf_token"]
        secret = self.application.config["SECRET_KEY"]
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, htmx: bool = False, **kwargs):
        method = kwargs.get("method", "GET").upper()
        headers = dict(kwargs.pop("headers", None) or {})
        # Assertions read English; French rendering has its own tests (test_i18n.py).
        headers.setdefault("Accept-Language", "en")
        if htmx:
            headers.setdefault("HX-Request", "true")
        if csrf and method not in ("GET", "HEAD", "OPTIONS") and not args[1:]:
            token = self.csrf_token()
            if htmx:
                headers.setdefault("X-CSRFToken", token)
            else:
                data = kwargs.get("data")
                if data is None:
                    data = {}
                if isinstance(data, dict):
                    data = dict(data)
                    data.setdefault("csrf_token", token)
                    kwargs["data"] = data
        kwargs["headers"] = headers
        # The whole body read and the response closed, as a browser would: a download sent
        # from a temporary file (exports) is closed then, never left to the garbage
        # collector. ``buffered=False`` keeps a stream to check that it is one.
        kwargs.setdefault("buffered", True)
        # Each request gets its own app context, as in production: a fresh ``g`` (Flask-Login
        # and Flask-WTF cache there) and its own database session. The test's session is
        # then expired so it reads what the request wrote.
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


def make_app(database_url: str = TEST_DATABASE_URL, **overrides) -> Flask:
    config = settings.for_tests(database_url)
    if database_url == "sqlite://":
        # One shared in-memory database per app, reachable from every thread.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "poolclass": StaticPool, "connect_args": {"check_same_thread": False},
        }
    elif is_postgres(database_url):
        # A commit does not wait for the disk (other connections see it at once all the
        # same; only a crash of the server could lose it): a test commits often.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-c synchronous_commit=off"}}
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _template_code
    app.test_client_class = Client
    return app


def reset_database(app: Flask) -> None:
    """Give ``app`` an empty database with the current schema and the reference data."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if is_postgres(url):
            if url not in _schema_ready:
                db.drop_all()
                db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
                db.session.commit()
                db.create_all()
                _schema_ready.add(url)
                stamp(directory=app.extensions["migrate"].directory)
            # DELETE, children first, then every sequence back to 1: what TRUNCATE … RESTART
            # IDENTITY does, but TRUNCATE makes new files for each table and costs ~0.3 s
            # a test (over 1 s on a busy machine) where these few rows take milliseconds.
            # Sent as one string (~45 statements, one round trip to the server); the names
            # are the models' own tables.
            tables = reversed(db.metadata.sorted_tables)
            db.session.connection().exec_driver_sql("; ".join([
                *(f'DELETE FROM "{table.name}"' for table in tables),  # noqa: S608
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'S' AND n.nspname = current_schema()"]))
            _seed_postgres_reference_data()
            db.session.commit()
        else:
            _copy_sqlite_template(app)


def _seed_postgres_reference_data() -> None:
    """``seed_reference_data`` into empty tables: the first call of a process runs it and
    keeps the rows it wrote; later calls insert those rows again (a statement per table
    instead of the seeding's reads and one insert per row), then move each sequence where
    the seeding left it."""
    global _postgres_reference
    if _postgres_reference is None:
        seed_reference_data(db.session)
        db.session.flush()
        _postgres_reference = {
            table: [dict(row) for row in db.session.execute(
                table.select().order_by(*table.primary_key.columns)).mappings()]
            for table in db.metadata.sorted_tables}
        return
    sequences = []
    for table, rows in _postgres_reference.items():
        if not rows:
            continue
        db.session.execute(table.insert(), rows)
        (column, *others) = table.primary_key.columns
        if not others and isinstance(column.type, Integer):
            sequences.append(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"
                f" {max(row[column.name] for row in rows)})")
    if sequences:
        db.session.connection().exec_driver_sql("; ".join(sequences))


def _copy_sqlite_template(app: Flask) -> None:
    """Replace the SQLite database of ``app`` (in memory or a file) by a copy of the
    template, built by the first call (in an app context)."""
    global _sqlite_template
    if _sqlite_template is None:
        db.drop_all()
        db.create_all()
        stamp(directory=app.extensions["migrate"].directory)
        seed_reference_data(db.session)
        db.session.commit()
        template = sqlite3.connect(":memory:", check_same_thread=False)
        with db.engine.connect() as connection:
            connection.connection.driver_connection.backup(template)
        _sqlite_template = template
        return
    db.session.remove()
    with db.engine.connect() as connection:
        _sqlite_template.backup(connection.connection.driver_connection)


def forget_schema(url: str = TEST_DATABASE_URL) -> None:
    """Tell the fixtures the schema was changed behind their back (migration tests)."""
    _schema_ready.discard(url)


def _fresh(app: Flask) -> Iterator[Flask]:
    """``app`` on an empty database (``reset_database``), in its app context, its
    connections closed after the test."""
    reset_database(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app() -> Iterator[Flask]:
    yield from _fresh(make_app())


@pytest.fixture
def file_app(tmp_path) -> Iterator[Flask]:
    """An app on a database that a tool outside it can open by its URL (``flask backup``'s
    copy, bench/stress.py's check): the PostgreSQL test database, or an SQLite file
    ``tmp_path/app.sqlite3`` (the default test database is SQLite in memory)."""
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'app.sqlite3'}"
    yield from _fresh(make_app(url))


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()


class Auth:
    """Log in and out through the real forms."""

    def __init__(self, client: Client):
        self.client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client: Client) -> Auth:
    return Auth(client)


@pytest.fixture
def login(auth: Auth):
    """``login(role)`` creates a user of that role, logs them in and returns them."""

    def _login(role: str = "holder", **kwargs):
        user = factories.user(role=role, **kwargs)
        db.session.commit()
        response = auth.login(user)
        assert response.status_code == 303, response.data
        return user

    return _login


@dataclass
class Team:
    """A project followed by an advisor, with one holder (see the ``team`` fixture)."""

    advisor: User
    holder: User
    project: Project


@pytest.fixture
def team(app: Flask) -> Team:
    """Yann Le Goff (advisor) follows "Épicerie vrac", held by Anne Briand; nobody is logged
    in (``auth.login(team.advisor)``)."""
    advisor = factories.user(role="advisor", name="Yann Le Goff")
    holder = factories.user(name="Anne Briand")
    project = factories.project(holders=[holder], advisor=advisor, title="Épicerie vrac")
    db.session.commit()
    return Team(advisor, holder, project)


class SecurityEvents(list):
    """The security log's events written during a test, parsed (see security_log.py)."""

    def kinds(self) -> list[str]:
        return [event["event"] for event in self]

    def of(self, kind: str) -> list[dict]:
        return [event for event in self if event["event"] == kind]


@pytest.fixture
def security_events() -> Iterator[SecurityEvents]:
    import json
    import logging

    from incubator.security_log import logger

    events = SecurityEvents()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            line = record.getMessage()
            assert "\n" not in line, "one event, one line"
            events.append(json.loads(line))

    handler = Collect()
    logger.addHandler(handler)
    try:
        yield events
    finally:
        logger.removeHandler(handler)
