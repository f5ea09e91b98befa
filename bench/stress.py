"""Stress run: concurrent advisors moving cards through gunicorn, with faults, then the
database's invariants checked.

Starts gunicorn as the README does (``gunicorn.conf.py``, ``incubator:create_app()``,
production settings from ``INCUBATOR_*`` variables) with 4 workers, on SQLite (a temporary
file) and/or PostgreSQL, on a board seeded with ``--projects`` active projects over the five
stages. ``--movers`` advisors log in through the real login form (CSRF included) over HTTP,
one session each, then until ``--seconds`` have passed each one in turn reads (the board
page, a column's "load more" fragment, a card fragment) and moves a card through the board's
htmx endpoint (``POST /projects/<id>/move``, the fields board.js sends after a drop, with the
version that mover last saw). Most moves go to another stage (with a comment naming the
request, so the history row it writes can be found), some reorder a column; a third go to
the top or the end of the column, where concurrent moves meet on the same free position.

Faults: ``--kill N`` sends SIGKILL to N random gunicorn workers during the run (the master
starts new ones); ``--restart-postgres`` restarts the PostgreSQL server mid-run (the Debian
cluster on the URL's port, with ``pg_ctlcluster``, or ``--restart-command``): only when
asked, never in CI, since other things share the cluster.

At the end the database is read directly and the run fails (exit status 1) on:
- any 5xx answer (a 503 is allowed only with ``--restart-postgres``);
- a connection error not explained by a killed worker (a request in flight to a worker
  killed meanwhile is reset: counted apart, and its move must be found in the database
  either fully applied or not at all);
- a false error message: a move answered 5xx must say what became of it (the wording of
  ``errors.OUTCOME``, read from the French catalogue); if it said "saved" it must have been
  applied (version, and history row if any), if "not saved" it must not have been (neither),
  if "unknown" it must be applied whole or not at all, like a reset one;
- a broken invariant: every accepted move (2xx) that changed stage has exactly one history
  row (found by its comment), from and to the stages the answer showed, and a refused one
  none; a reorder writes none; each project's version rose by exactly its accepted moves
  (plus those of its reset requests that were applied); positions are non-null for active
  projects and unique per stage; every history row belongs to an existing project and
  stages; each project's one open stay (history row without ``left_at``) is its stage.
409 (someone moved the card first) and 422 are normal answers under contention: reported.

Run from the repository root::

    .venv/bin/python bench/stress.py --seconds 10 --movers 10 --kill 1
    .venv/bin/python bench/stress.py --database postgresql --movers 50 --seconds 60 --kill 3
    .venv/bin/python bench/stress.py --database postgresql \\
        --postgresql-url postgresql+psycopg://root@127.0.0.1:5432/mydb   # emptied first
    .venv/bin/python bench/stress.py --database postgresql --restart-postgres   # not in CI

Without ``--postgresql-url`` a database ``incubator_stress_<pid>`` is created on the local
server (``postgresql+psycopg://<user>@127.0.0.1:5432``) and dropped afterwards. Login
throttling is turned off for the run (``INCUBATOR_RATELIMIT_ENABLED=0``: 50 logins from one
address in a second is the test, not an attack) and password hashing is cheap (argon2id
t=1, m=1 MiB: the run measures moves, not logins). Mail goes to the instance folder, never
to a server. See docs/performance.md ("Stress") for results.
"""

from __future__ import annotations

import argparse
import getpass
import html
import http.client
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# Run as a script (``python bench/stress.py``), it finds bench/ from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.board import seed  # noqa: E402
from bench.common import (  # noqa: E402
    CSRF_INPUT,
    FIRST_NAMES,
    LAST_NAMES,
    PASSWORD,
    Server,
    bench_config,
    empty_database,
    percentile,
    process_children,
    serve,
)
from incubator import create_app  # noqa: E402
from incubator.database import NOT_SAVED, SAVED, UNKNOWN  # noqa: E402
from incubator.extensions import db  # noqa: E402
from incubator.models import Role, User  # noqa: E402
from incubator.passwords import hash_password  # noqa: E402
from incubator.text import search_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
# Cheap hashes, the same in the seeding process and the workers (no rehash at login).
ARGON2 = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "ARGON2_PARALLELISM": "1"}

CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CARD = re.compile(r'<li class="card[^"]*" id="project-(\d+)"[^>]*?data-version="(\d+)"')
CARDS_LIST = re.compile(r'<ol class="cards" id="cards-stage-(\d+)"')
HEAD = re.compile(r'id="head-stage-(\d+)"')
LAST_INPUT = re.compile(r'name="last-(\d+)" value="([^"]*)"')
TOKEN_INPUT = re.compile(r'id="board-token" name="token" value="([^"]*)"')
CONNECTION_ERRORS = (OSError, http.client.HTTPException)
PHRASES: dict[str, str] = {}  # filled by main(): outcome_phrases()


# --- HTTP -----------------------------------------------------------------------------------


class Session:
    """One advisor's browser: cookies, CSRF token, and what it last saw of the board."""

    def __init__(self, port: int, email: str):
        self.port, self.email = port, email
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.token = ""
        self.cards: dict[int, tuple[int, int]] = {}  # project id → (stage id, version)
        self.last: dict[int, str] = {}  # stage id → the last position loaded, or "all"

    def request(self, method: str, path: str, form: dict | None = None,
                htmx: bool = False) -> tuple[int, str]:
        """One request on a new connection (gunicorn's sync workers close it anyway)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Accept-Language": "fr", "Connection": "close"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.csrf
        if htmx:
            headers["HX-Request"] = "true"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, page
        finally:
            connection.close()

    def log_in(self) -> None:
        """The login form with its CSRF token, then the board (its token for htmx)."""
        _status, page = self.request("GET", "/auth/login")
        found = CSRF_INPUT.search(page)
        if not found:
            raise RuntimeError(f"{self.email}: no CSRF token on the login page")
        self.csrf = found.group(1)
        status, _ = self.request("POST", "/auth/login", {
            "email": self.email, "password": PASSWORD, "csrf_token": self.csrf})
        if status != 303:
            raise RuntimeError(f"{self.email}: login answered {status}")
        status, page = self.request("GET", "/board")
        if status != 200:
            raise RuntimeError(f"{self.email}: GET /board after login answered {status}")
        self.see_board(page)

    def see_board(self, page: str) -> None:
        """Learn the cards, their stages and versions from a board page."""
        found = CSRF_HEADER.search(page)
        if found:
            self.csrf = found.group(1)
        token = TOKEN_INPUT.search(page)
        if token:
            self.token = token.group(1)
        self.last.update((int(s), v) for s, v in LAST_INPUT.findall(page))
        cards: dict[int, tuple[int, int]] = {}
        # Each column's list of cards, then its cards, in page order.
        marks = [(m.start(), int(m.group(1))) for m in CARDS_LIST.finditer(page)]
        for card in CARD.finditer(page):
            stage = next((s for start, s in reversed(marks) if start < card.start()), None)
            if stage is not None:
                cards[int(card.group(1))] = (stage, int(card.group(2)))
        if cards:
            self.cards = cards

    def see_answer(self, project_id: int, page: str) -> tuple[list[int], int | None]:
        """From a move's answer: the column headers it refreshed (a stage change: the old
        and the new stage; otherwise the card's stage alone) and the card's version."""
        heads = [int(s) for s in HEAD.findall(page)]
        version = None
        for card in CARD.finditer(page):
            if int(card.group(1)) == project_id:
                version = int(card.group(2))
        if heads and version is not None:
            self.cards[project_id] = (heads[-1], version)
        elif heads:  # not shown (below what is loaded): learn its version at the next read
            self.cards.pop(project_id, None)
        token = TOKEN_INPUT.search(page)
        if token:
            self.token = token.group(1)
        return heads, version


# --- What a 5xx answer says ------------------------------------------------------------------


def outcome_phrases() -> dict[str, str]:
    """The French sentences by which a 500 or 503 tells what became of the change
    (``errors.OUTCOME``, from ``database.outcome``), and the static last-resort answer's
    (``errors.LAST_RESORT*``: unknown), each mapped to ``saved``, ``not_saved`` or
    ``unknown``. Read from the catalogue, so a reworded message is still recognised."""
    from flask_babel import force_locale

    from incubator.errors import OUTCOME

    app = create_app(bench_config("sqlite://"))
    with app.test_request_context(), force_locale("fr"):
        phrases = {" ".join(str(OUTCOME[state]).split()): state
                   for state in (SAVED, NOT_SAVED, UNKNOWN)}
    phrases["Nous ne savons pas si ce que vous avez fait a été enregistré"] = UNKNOWN
    return phrases


def answer_outcome(page: str, phrases: dict[str, str]) -> str | None:
    """What a 5xx answer (page or htmx fragment) said of the change: ``saved``,
    ``not_saved``, ``unknown``, or None when it says none of them."""
    flat = " ".join(html.unescape(page).split())
    found = {state for phrase, state in phrases.items() if phrase in flat}
    return found.pop() if len(found) == 1 else None


# --- What happened ----------------------------------------------------------------------------


@dataclass
class Move:
    project_id: int
    comment: str
    target: int
    status: int | None = None  # None: the connection failed
    heads: list[int] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    explained: bool = False  # a connection error while a worker was killed
    said: str | None = None  # a 5xx answer's word on the change (answer_outcome)


@dataclass
class Record:
    """Everything the movers saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    moves: list[Move] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    move_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    read_errors: list[tuple[float, float, str]] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)
    restarts: list[tuple[float, float]] = field(default_factory=list)
    fault_errors: list[str] = field(default_factory=list)
    fives_at: list[float] = field(default_factory=list)  # when each 5xx answer came


def mover(session: Session, stage_ids: list[int], deadline: float, record: Record,
          rng: random.Random, number: int) -> None:
    """Read, then move, until the deadline."""
    reads = ("board", "column", "card")
    n = 0
    while time.monotonic() < deadline:
        n += 1
        kind = reads[n % 3]
        start = time.monotonic()
        try:
            if kind == "board" or not session.cards:
                status, page = session.request("GET", "/board")
                if status == 200:
                    session.see_board(page)
            elif kind == "column":  # "load more" below what the board page showed
                stage = rng.choice(stage_ids)
                after = session.last.get(stage, "all")
                query = f"?after={after}" if after.lstrip("-").isdigit() else ""
                status, page = session.request("GET", f"/board/stages/{stage}{query}",
                                               htmx=True)
                if status == 200:
                    session.cards.update((int(c), (stage, int(v))) for c, v in CARD.findall(page))
            else:
                project_id = rng.choice(list(session.cards))
                status, page = session.request("GET", f"/projects/{project_id}/card",
                                               htmx=True)
                for card in CARD.finditer(page):
                    if int(card.group(1)) == project_id and status == 200:
                        session.cards[project_id] = (session.cards[project_id][0],
                                                     int(card.group(2)))
            with record.lock:
                record.read_ms.append((time.monotonic() - start) * 1000)
                record.statuses[f"read {status}"] += 1
                if status >= 500:
                    record.fives_at.append(time.monotonic())
        except CONNECTION_ERRORS as error:
            with record.lock:
                record.read_errors.append((start, time.monotonic(), repr(error)))
                record.statuses["read connection error"] += 1
        if not session.cards or time.monotonic() >= deadline:
            continue
        move_one(session, stage_ids, record, rng, f"stress {number}-{n}")


def move_one(session: Session, stage_ids: list[int], record: Record, rng: random.Random,
             comment: str) -> None:
    """One move as board.js sends a drop: to another stage (3 in 4) or within the column;
    under a card the mover sees, at the top or at the end."""
    project_id = rng.choice(list(session.cards))
    stage, version = session.cards[project_id]
    target = stage if rng.random() < 0.25 else rng.choice([s for s in stage_ids if s != stage])
    neighbours = [p for p, (s, _v) in session.cards.items() if s == target and p != project_id]
    form: dict[str, Any] = {"q": "", "advisor": "", "theme": "", "commune": "",
                            "token": session.token,
                            **{f"last-{s}": "all" for s in stage_ids},
                            "stage_id": target, "version": version, "comment": comment}
    place = rng.random()
    if place < 0.2:
        form["after_id"] = 0  # the top
    elif place < 0.35 or not neighbours:
        pass  # the end (keyboard move without a position)
    else:
        form["after_id"] = rng.choice(neighbours)
    move = Move(project_id, comment, target, started=time.monotonic())
    try:
        status, page = session.request("POST", f"/projects/{project_id}/move", form, htmx=True)
        move.status = status
        if status < 500:
            move.heads, _ = session.see_answer(project_id, page)
        else:
            move.said = answer_outcome(page, PHRASES)
    except CONNECTION_ERRORS:
        pass
    move.ended = time.monotonic()
    with record.lock:
        record.moves.append(move)
        record.statuses[f"move {move.status or 'connection error'}"] += 1
        if move.status is not None:
            record.move_ms.append((move.ended - move.started) * 1000)
        if move.status is not None and move.status >= 500:
            record.fives_at.append(move.ended)


# --- gunicorn and faults ------------------------------------------------------------------------


def server_settings(database_url: str, folder: Path) -> dict[str, str]:
    """What the run's gunicorn gets over the README's trial settings (``common.serve``): its
    database, a random key, its own instance folder (mail written there, never sent: no mail
    server even if the caller's environment names one) and cheap password hashes."""
    return {"INCUBATOR_DATABASE_URL": database_url,
            "INCUBATOR_SECRET_KEY": secrets.token_hex(32),
            "INCUBATOR_INSTANCE_PATH": str(folder), "INCUBATOR_MAIL_SERVER": "",
            **{f"INCUBATOR_{k}": v for k, v in ARGON2.items()}}


def faults(server: Server, args: argparse.Namespace, url: str, start: float,
           record: Record, rng: random.Random) -> None:
    """Kill ``--kill`` workers at random moments of the run's middle; restart PostgreSQL
    halfway with ``--restart-postgres``."""
    plan = [(start + args.seconds * rng.uniform(0.15, 0.85), "kill") for _ in range(args.kill)]
    if args.restart_postgres:
        plan.append((start + args.seconds / 2, "restart"))
    for when, what in sorted(plan):
        time.sleep(max(0.0, when - time.monotonic()))
        if what == "kill":
            workers = process_children(server.pid)
            if not workers:
                continue
            victim = rng.choice(workers)
            with record.lock:
                record.kills.append(time.monotonic())
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            began = time.monotonic()
            try:
                restart_postgres(url, args.restart_command)
            except (OSError, RuntimeError, subprocess.SubprocessError) as error:
                record.fault_errors.append(f"restarting PostgreSQL failed: {error!r}")
                continue
            with record.lock:
                record.restarts.append((began, time.monotonic()))


def restart_postgres(url: str, command: str | None) -> None:
    """Restart the PostgreSQL server of ``url``: ``command`` (a shell command) when given,
    else ``pg_ctlcluster VERSION NAME restart`` for the Debian cluster listening on the
    URL's port (``pg_lsclusters``), as its owner when run as root."""
    if command:
        subprocess.run(command, shell=True, check=True, timeout=120)  # noqa: S602
        return
    port = make_url(url).port or 5432
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True,  # noqa: S607
                            text=True, check=True, timeout=30).stdout.split("\n")
    clusters = [line.split() for line in listed if line.split()[2:3] == [str(port)]]
    if not clusters:
        raise RuntimeError(f"no Debian PostgreSQL cluster listens on port {port}: "
                           "give --restart-command")
    version, name = clusters[0][:2]
    restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"]
    if os.geteuid() == 0:
        restart = ["su", clusters[0][4], "-c", " ".join(restart)]
    subprocess.run(restart, check=True, timeout=120)  # noqa: S603


# --- Database ---------------------------------------------------------------------------------


def prepare(url: str, projects: int, movers: int) -> list[str]:
    """Empty the database, seed the board (bench/board.py's seed) and one advisor account
    per mover; return their e-mail addresses."""
    os.environ.update({f"INCUBATOR_{k}": v for k, v in ARGON2.items()})
    app = create_app(bench_config(url) | {k: int(v) for k, v in ARGON2.items()})
    empty_database(app)
    seed(app, projects, random.Random(projects))
    emails = [f"stress{n}@bench.example.org" for n in range(movers)]
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        db.session.execute(insert(User), [
            {"email": email, "name": name, "name_key": search_key(name),
             "role": Role.ADVISOR.value, "active": True, "password_hash": password_hash,
             "email_notifications": False}
            for n, email in enumerate(emails)
            for name in [f"{FIRST_NAMES[n % len(FIRST_NAMES)]} "
                         f"{LAST_NAMES[n // 3 % len(LAST_NAMES)]} {n}"]])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return emails


def wait_for_database(url: str, seconds: float = 60.0) -> None:
    """Wait until the database accepts connections (after a restart of PostgreSQL)."""
    engine = create_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, Any]:
    """Versions and history counts per project, stage ids."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            versions = dict(connection.execute(text("SELECT id, version FROM projects")).all())
            history = dict(connection.execute(text(
                "SELECT project_id, count(*) FROM stage_moves GROUP BY project_id")).all())
            stages = list(connection.scalars(text(
                "SELECT id FROM stages WHERE active ORDER BY position")))
    finally:
        engine.dispose()
    return {"versions": versions, "history": history, "stages": stages}


def check(url: str, before: dict[str, Any], record: Record) -> tuple[list[str], dict[str, int]]:
    """The invariants (see the module docstring): the problems found, and how the moves
    whose connection failed ended (applied or not)."""
    problems: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT id, stage_id, position, status, version FROM projects")).all()
            moves = connection.execute(text(
                "SELECT project_id, from_stage_id, to_stage_id, comment, left_at "
                "FROM stage_moves")).all()
            orphans = connection.scalar(text(
                "SELECT count(*) FROM stage_moves m WHERE NOT EXISTS "
                "(SELECT 1 FROM projects p WHERE p.id = m.project_id) "
                "OR NOT EXISTS (SELECT 1 FROM stages s WHERE s.id = m.to_stage_id) "
                "OR (m.from_stage_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM stages s WHERE s.id = m.from_stage_id))"))
    finally:
        engine.dispose()
    if orphans:
        problems.append(f"{orphans} history rows name a missing project or stage")
    by_comment: dict[str, list] = {}
    open_stays: dict[int, list[int]] = {}
    history_now: Counter = Counter()
    for project_id, from_stage, to_stage, comment, left_at in moves:
        history_now[project_id] += 1
        if comment and comment.startswith("stress "):
            by_comment.setdefault(comment, []).append((project_id, from_stage, to_stage))
        if left_at is None:
            open_stays.setdefault(project_id, []).append(to_stage)

    projects = {r.id: r for r in rows}
    seen_positions: set[tuple[int, int]] = set()
    for r in rows:
        if r.status == "active":
            if r.position is None:
                problems.append(f"project {r.id}: active without a position")
            elif (r.stage_id, r.position) in seen_positions:
                problems.append(f"stage {r.stage_id}: position {r.position} taken twice")
            seen_positions.add((r.stage_id, r.position))
        stays = open_stays.get(r.id, [])
        if history_now[r.id] and stays != [r.stage_id]:
            problems.append(f"project {r.id} is in stage {r.stage_id}, its open stays: {stays}")

    accepted: Counter = Counter()
    unknown: dict[int, list[Move]] = {}
    told: dict[int, Counter] = {}  # project → what its 5xx moves said (saved, not saved)
    # A move whose connection failed, or whose 5xx said "unknown", may or may not have been
    # applied: it must be found applied whole (history row and version) or not at all. A 5xx
    # that said "saved" must have been applied (its version counted as an accepted move's,
    # its history row there if it wrote one), one that said "not saved" must not have been
    # (no history row, no version): the error message must be true (errors.OUTCOME).
    outcomes = {"reset, applied": 0, "reset, not applied": 0, "5xx, saved": 0,
                "5xx said saved": 0, "5xx said not saved": 0, "5xx said unknown": 0}
    for move in record.moves:
        rows_for = by_comment.get(move.comment, [])
        if move.status is not None and move.status >= 500:
            outcomes["5xx, saved"] += bool(rows_for)
            if move.said is None:
                problems.append(f"move '{move.comment}' answered {move.status} without saying "
                                "whether it was saved")
            else:
                outcomes[f"5xx said {move.said.replace('_', ' ')}"] += 1
            if move.said == NOT_SAVED:
                told.setdefault(move.project_id, Counter())["not saved"] += 1
                if rows_for:
                    problems.append(f"move '{move.comment}' answered {move.status} "
                                    f"\"not saved\", yet its history row is there: {rows_for}")
                continue
            if move.said == SAVED:
                told.setdefault(move.project_id, Counter())["saved"] += 1
                accepted[move.project_id] += 1
                if len(rows_for) > 1:
                    problems.append(f"move '{move.comment}' answered {move.status} "
                                    f"\"saved\": {len(rows_for)} history rows")
                continue
        if move.status is None or move.status >= 500:
            unknown.setdefault(move.project_id, []).append(move)
            continue
        if 200 <= move.status < 300:
            accepted[move.project_id] += 1
            changed = len(set(move.heads)) == 2
            if changed and len(rows_for) != 1:
                problems.append(f"accepted move '{move.comment}' of project {move.project_id}: "
                                f"{len(rows_for)} history rows, 1 expected")
            elif changed and rows_for[0] != (move.project_id, move.heads[0], move.heads[1]):
                problems.append(f"accepted move '{move.comment}': history {rows_for[0]}, "
                                f"answer showed {move.heads}")
            elif not changed and rows_for:
                problems.append(f"reorder '{move.comment}' wrote history {rows_for}")
        elif rows_for:
            problems.append(f"refused move '{move.comment}' ({move.status}) wrote history")

    for project_id, r in projects.items():
        rose = r.version - before["versions"].get(project_id, r.version)
        resets = unknown.get(project_id, [])
        applied = sum(1 for m in resets if m.comment in by_comment)
        # A reset reorder leaves no history: it may account for at most one version each.
        reorders = sum(1 for m in resets if m.comment not in by_comment)
        extra = rose - accepted[project_id] - applied
        if not 0 <= extra <= reorders:
            said = told.get(project_id, Counter())
            problems.append(f"project {project_id}: version rose by {rose}, "
                            f"{accepted[project_id]} moves accepted (of which "
                            f"{said['saved']} answered 5xx \"saved\"), {said['not saved']} "
                            f"answered 5xx \"not saved\", {len(resets)} reset or 5xx "
                            "\"unknown\"")
        outcomes["reset, applied"] += applied + max(0, min(extra, reorders))
        outcomes["reset, not applied"] += len(resets) - applied - max(0, min(extra, reorders))
        history_rose = history_now[project_id] - before["history"].get(project_id, 0)
        expected = sum(1 for m in record.moves
                       if m.project_id == project_id and m.comment in by_comment)
        if history_rose != expected:
            problems.append(f"project {project_id}: {history_rose} new history rows, "
                            f"{expected} from the run's moves")
    return problems, outcomes


# --- One run ----------------------------------------------------------------------------------


def explain_errors(record: Record, slack: float = 1.0) -> None:
    """A connection error is explained when a worker was killed while it was in flight."""
    for move in record.moves:
        if move.status is None:
            move.explained = any(move.started - slack <= k <= move.ended + slack
                                 for k in record.kills) or any(
                a - slack <= move.ended and move.started <= b + slack
                for a, b in record.restarts)


def run(database: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve, stress, check: the figures and the verdict for one database."""
    rng = random.Random(args.seed)
    started = time.monotonic()
    result: dict[str, Any] = {"database": database, "movers": args.movers,
                              "seconds": args.seconds, "projects": args.projects,
                              "kills": 0, "restarts": 0}
    record = Record()
    # Its workers boot while the database is seeded (create_app reads no table).
    with tempfile.TemporaryDirectory(prefix="incubator-stress-") as folder, \
            tempfile.TemporaryFile() as log:
        with serve(server_settings(url, Path(folder)), workers=WORKERS, wait=False,
                   log=log) as server:
            port = server.port
            emails = prepare(url, args.projects, args.movers)
            before = snapshot(url)
            seeded = time.monotonic()
            server.wait_ready()
            served = time.monotonic()
            sessions = [Session(port, email) for email in emails]
            errors: list[BaseException] = []

            waiting = list(sessions)

            def log_in() -> None:
                # As many at once as there are workers, each tried 3 times: the run
                # measures moves, and 50 logins at once on a busy machine time out.
                while waiting:
                    try:
                        session = waiting.pop()
                    except IndexError:
                        return
                    for attempt in range(3):
                        try:
                            session.log_in()
                            break
                        except CONNECTION_ERRORS as error:
                            if attempt == 2:
                                errors.append(error)
                        except Exception as error:  # noqa: BLE001 (reported below)
                            errors.append(error)
                            break

            threads = [threading.Thread(target=log_in) for _ in range(WORKERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                raise RuntimeError(f"{len(errors)} logins failed, first: {errors[0]!r}")
            result |= {"setup_s": time.monotonic() - started, "seed_s": seeded - started,
                       "gunicorn_s": served - seeded, "login_s": time.monotonic() - served}
            start = time.monotonic()
            deadline = start + args.seconds
            threads = [threading.Thread(target=mover, args=(
                s, before["stages"], deadline, record, random.Random(rng.random()), n))
                for n, s in enumerate(sessions)]
            fault = threading.Thread(target=faults, args=(server, args, url, start, record, rng),
                                     daemon=True)
            fault.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - start
            fault.join(timeout=130)
        log.seek(0)
        server_log = log.read().decode("utf-8", "replace")
    explain_errors(record)
    wait_for_database(url)
    problems, outcomes = check(url, before, record)
    accepted = [m for m in record.moves if m.status is not None and 200 <= m.status < 300]
    fives = {k: v for k, v in record.statuses.items() if k.split()[-1].startswith("5")}
    allowed_503 = bool(record.restarts)
    for key, count in fives.items():
        if not (allowed_503 and key.endswith("503")):
            problems.append(f"{count} × {key}")
    problems.extend(record.fault_errors)
    unexplained = [m for m in record.moves if m.status is None and not m.explained]
    read_unexplained = [e for e in record.read_errors if not any(
        e[0] - 1 <= k <= e[1] + 1 for k in record.kills) and not record.restarts]
    if unexplained:
        problems.append(f"{len(unexplained)} move connection errors with no worker killed")
    if read_unexplained:
        problems.append(f"{len(read_unexplained)} read connection errors with no worker "
                        f"killed, first: {read_unexplained[0][2]}")
    result |= {
        "elapsed_s": elapsed, "moves": len(record.moves), "accepted": len(accepted),
        "stage_changes": sum(1 for m in accepted if len(set(m.heads)) == 2),
        "moves_per_s": len(accepted) / elapsed,
        "move_ms_p50": percentile(record.move_ms, 0.5) if record.move_ms else 0.0,
        "move_ms_p95": percentile(record.move_ms, 0.95) if record.move_ms else 0.0,
        "move_ms_p99": percentile(record.move_ms, 0.99) if record.move_ms else 0.0,
        "read_ms_p50": percentile(record.read_ms, 0.5) if record.read_ms else 0.0,
        "read_ms_p95": percentile(record.read_ms, 0.95) if record.read_ms else 0.0,
        "read_ms_p99": percentile(record.read_ms, 0.99) if record.read_ms else 0.0,
        "statuses": dict(sorted(record.statuses.items())),
        "kills": len(record.kills), "restarts": len(record.restarts),
        "connection_errors_explained": sum(1 for m in record.moves if m.explained)
        + len(record.read_errors) - len(read_unexplained),
        **outcomes, "problems": problems, "ok": not problems,
        # After a restart of PostgreSQL: how long errors went on once it was back.
        "errors_after_restart_s": max(
            [t - record.restarts[-1][1] for t in record.fives_at] + [0.0])
        if record.restarts else None,
        "load": os.getloadavg()[0],
    }
    if problems and "Traceback" in server_log:
        result["server_log_tail"] = _tracebacks(server_log)
    if problems:  # the whole log, for what the tracebacks above leave out
        with tempfile.NamedTemporaryFile("w", prefix="stress-", suffix=".log",
                                         delete=False) as kept:
            kept.write(server_log)
        result["server_log_file"] = kept.name
    return result


def _tracebacks(log: str, most: int = 3) -> str:
    """The first ``most`` tracebacks of a server log, each with the line before it (the
    request's log line or the error's), at most 4,000 characters each."""
    lines, found, block = log.splitlines(), [], None
    for number, line in enumerate(lines):
        if line.startswith("Traceback"):
            block = [lines[number - 1]] if number else []
            found.append(block)
        elif block is not None and line.startswith("{"):  # the next JSON log line
            block = None
        if block is not None:
            block.append(line)
    return "\n\n".join("\n".join(block)[-4000:] for block in found[:most])


# --- PostgreSQL database ----------------------------------------------------------------------


def own_database(base: str) -> tuple[str, Callable[[], None]]:
    """Create ``incubator_stress_<pid>`` on the server of ``base``; return its URL and a
    function that drops it."""
    name = f"incubator_stress_{os.getpid()}"
    admin = make_url(base).set(database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


# --- Report -----------------------------------------------------------------------------------


def print_result(r: dict[str, Any]) -> None:
    faults_text = f"{r['kills']} worker(s) killed" + (
        f", PostgreSQL restarted {r['restarts']}×" if r["restarts"] else "")
    print(f"\n{r['database']}: {r['movers']} movers × {r['elapsed_s']:.1f} s on "
          f"{r['projects']} projects, {WORKERS} gunicorn workers, {faults_text} "
          f"(set-up {r['setup_s']:.1f} s: seed {r['seed_s']:.1f}, then gunicorn {r['gunicorn_s']:.1f}, "
          f"logins {r['login_s']:.1f}; load average {r['load']:.2f})")
    print(f"  moves     {r['accepted']} accepted of {r['moves']} ({r['stage_changes']} to another "
          f"stage), {r['moves_per_s']:.1f} accepted moves/s")
    print(f"  latency   move p50 {r['move_ms_p50']:.0f} ms, p95 {r['move_ms_p95']:.0f} ms, "
          f"p99 {r['move_ms_p99']:.0f} ms; read p50 {r['read_ms_p50']:.0f} ms, "
          f"p95 {r['read_ms_p95']:.0f} ms, p99 {r['read_ms_p99']:.0f} ms")
    print("  statuses  " + ", ".join(f"{k}: {v}" for k, v in r["statuses"].items()))
    print(f"  resets    {r['connection_errors_explained']} connection errors explained by a "
          f"fault; moves reset or answered 5xx: {r['reset, applied']} applied whole, "
          f"{r['reset, not applied']} not applied ({r['5xx, saved']} answered 5xx yet saved)")
    if any(r[f"5xx said {word}"] for word in ("saved", "not saved", "unknown")):
        print(f"  5xx said  saved: {r['5xx said saved']}, not saved: {r['5xx said not saved']}, "
              f"unknown: {r['5xx said unknown']} (each checked against the database)")
    if r["restarts"]:
        print(f"  restart   last 5xx {r['errors_after_restart_s']:.1f} s after PostgreSQL "
              "was back")
    if r["problems"]:
        print(f"  FAILED    {len(r['problems'])} problem(s):")
        for problem in r["problems"][:30]:
            print(f"    - {problem}")
        if r.get("server_log_tail"):
            print("  server log (its first tracebacks):\n" + r["server_log_tail"])
        if r.get("server_log_file"):
            print(f"  server log: {r['server_log_file']}")
    else:
        print("  PASS      no 5xx, every invariant holds")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the run (10)")
    parser.add_argument("--movers", type=int, default=10, help="concurrent advisors (10)")
    parser.add_argument("--projects", type=int, default=100, help="active projects (100)")
    parser.add_argument("--kill", type=int, default=0, metavar="N",
                        help="SIGKILL N random gunicorn workers during the run (0)")
    parser.add_argument("--restart-postgres", action="store_true",
                        help="restart the PostgreSQL server mid-run (never in CI)")
    parser.add_argument("--restart-command", metavar="SHELL",
                        help="how to restart it (default: pg_ctlcluster for the Debian "
                             "cluster on the database URL's port)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgresql-url", default=os.environ.get("INCUBATOR_DATABASE_URL"),
                        help="a PostgreSQL database to use (emptied first); default: one "
                             "created on 127.0.0.1 and dropped afterwards")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--json", action="store_true", help="one JSON object per database")
    args = parser.parse_args(argv)
    if args.restart_postgres and args.database == "sqlite":
        parser.error("--restart-postgres needs --database postgresql or both")
    if args.movers < 1 or args.seconds <= 0 or args.projects < 10:
        parser.error("--movers ≥ 1, --seconds > 0 and --projects ≥ 10 please")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    PHRASES.update(outcome_phrases())
    ok = True
    databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for database in databases:
        drop = None
        with tempfile.TemporaryDirectory(prefix="incubator-stress-db-") as folder:
            if database == "sqlite":
                url = f"sqlite:///{folder}/stress.sqlite3"
            elif args.postgresql_url and args.postgresql_url.startswith("postgresql"):
                url = args.postgresql_url
            else:
                url, drop = own_database(
                    f"postgresql+psycopg://{getpass.getuser()}@127.0.0.1:5432/postgres")
            try:
                result = run(database, url, args)
            finally:
                if drop:
                    drop()
        ok = ok and result["ok"]
        if args.json:
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v
                              for k, v in result.items()}), flush=True)
        else:
            print_result(result)
            sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
