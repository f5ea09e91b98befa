"""Benchmark of the board: page render, loading every card, moves, and throughput.

For each size N given with ``--projects``, builds a fresh database (SQLite in a temporary
file, or the PostgreSQL database named by ``INCUBATOR_DATABASE_URL``, emptied first) holding
N active projects spread over the five stages, then measures through the WSGI stack
(Flask's test client, so routing, sessions, CSRF, templates and SQL all count):

- the board page (``GET /board``): time, size, SQL statements per render;
- every card: the board page, then each column's "load more" chain until it says "all";
- moves: htmx ``POST /projects/<id>/move`` as the board's drag and drop sends them;
- throughput (size 100 by default): the app served by gunicorn with 2 workers and 8 client
  threads asking for the board for about 5 seconds.

Run from the repository root with the virtualenv's Python::

    .venv/bin/python bench/board.py --projects 100,1000,10000
    INCUBATOR_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/bench \\
        .venv/bin/python bench/board.py --projects 100,1000,10000
    .venv/bin/python bench/board.py --projects 1000 --json

The schema is made with ``db.create_all()`` (the test suite checks that the migrations
produce the same schema). See docs/performance.md for results and targets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete, insert, select, text

from incubator import create_app
from incubator.board.services import move_project
from incubator.extensions import db
from incubator.models import (
    Notification,
    Project,
    ProjectHolder,
    ProjectStatus,
    Role,
    Stage,
    Theme,
    User,
)
from incubator.notes.services import create_note
from incubator.passwords import hash_password
from incubator.projects.services import create_project, submit_project
from incubator.reference import TERRITORY_COMMUNES, seed_reference_data
from incubator.text import search_key
from incubator.worker import run_pending

# Run as a script (``python bench/board.py``), it finds bench/common.py from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    CSRF_INPUT,
    FIRST_NAMES,
    LAST_NAMES,
    PASSWORD,
    PROJECT_NAMES,
    bench_config,
    counting_statements,
    database_url,
    database_version,
    empty_database,
    free_port,  # noqa: F401 (bench/memory.py and bench/compare.py import it from here)
    percentile,
    print_machine,
    serve,
    sizes,
    timed,
)

ROOT = Path(__file__).resolve().parent.parent

# The same key in this process and in the gunicorn workers, so one session cookie works in both.
ADVISOR_EMAIL = "advisor@bench.example.org"
ADVISORS = 5  # the one who logs in plus four colleagues, so cards show several initials
# An incubator's funnel: most projects sit in the early stages.
STAGE_WEIGHTS = (0.35, 0.25, 0.20, 0.12, 0.08)
DESCRIPTION = ("Les habitants du territoire manquent d'un lieu où se retrouver, se former et "
               "trouver des produits locaux à prix accessibles. ") * 6

# Targets (see docs/performance.md); they apply at TARGET_SIZE projects, the throughput one
# at THROUGHPUT_SIZE.
TARGET_SIZE = 1000
BOARD_MS, BOARD_KB = 30.0, 400.0
ALL_CARDS_MS = 75.0
MOVE_MS, MOVE_KB, MOVE_SQL = 10.0, 4.0, 20
THROUGHPUT_SIZE, THROUGHPUT_RPS = 100, 200.0


# --- Application and database -------------------------------------------------------------


def make_app_for_gunicorn() -> Flask:
    """The app gunicorn serves: ``bench.board:make_app_for_gunicorn()``, database from
    ``INCUBATOR_DATABASE_URL`` (set by ``measure_throughput``)."""
    return create_app(bench_config(os.environ["INCUBATOR_DATABASE_URL"]))


def _bulk_insert(table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` in batches (executemany), returning their new ids in order."""
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(db.session.execute(statement, rows).scalars())


def seed(app: Flask, projects: int, rng: random.Random) -> None:
    """Reference data, advisors, holders (N/3) in bulk, then ``projects`` active projects
    built through the services users call (written, submitted, moved to their stage, a note
    for their last activity), back-dated with ``now=``, so they carry the history real ones
    have. Accounts get no e-mail; the in-app notifications the services write are dropped
    (the advisor's bell would otherwise count thousands)."""
    now = datetime.now(UTC)
    with app.app_context():
        seed_reference_data(db.session)
        db.session.flush()
        stages = list(db.session.scalars(select(Stage).order_by(Stage.position)))
        theme_ids = list(db.session.scalars(select(Theme.id)))
        password_hash = hash_password(PASSWORD)

        def person(n: int) -> str:
            return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n // 7 % len(LAST_NAMES)]}"

        users = User.__table__
        advisor_ids = _bulk_insert(users, [
            {"email": ADVISOR_EMAIL if n == 0 else f"advisor{n}@bench.example.org",
             "name": person(n + 3), "name_key": search_key(person(n + 3)),
             "role": Role.ADVISOR.value, "active": True,
             "password_hash": password_hash if n == 0 else None, "created_at": now,
             "email_notifications": False}
            for n in range(ADVISORS)
        ])
        holder_ids = _bulk_insert(users, [
            {"email": f"holder{n}@bench.example.org", "name": person(n),
             "name_key": search_key(person(n)),
             "role": Role.HOLDER.value, "active": True, "password_hash": None,
             "created_at": now, "email_notifications": False}
            for n in range(max(1, projects // 3))
        ])
        people = {user.id: user for user in db.session.scalars(select(User))}

        for n in range(projects):
            stage = rng.choices(stages, weights=STAGE_WEIGHTS)[0]
            commune = rng.choice(TERRITORY_COMMUNES)
            entered = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            # Some cards idle for longer than STALLED_DAYS: the board marks them.
            active = entered + (now - entered) * rng.random()
            submitted = entered - timedelta(days=rng.randint(0, 200))
            holders = [people[i] for i in
                       rng.sample(holder_ids, k=min(len(holder_ids), rng.randint(1, 2)))]
            advisor = people[rng.choice(advisor_ids)]
            project = create_project(holders[0], {
                "title": f"{rng.choice(PROJECT_NAMES)} de {commune}",
                "pitch": f"Projet n° {n + 1} : une activité d'utilité sociale à {commune}.",
                # A filled-in description, as the project page asks for (the board never
                # shows it, but a query that loads whole rows pays for it).
                "need": DESCRIPTION, "target_public": DESCRIPTION[:300],
                "planned_activity": DESCRIPTION,
                "theme_id": rng.choice(theme_ids), "commune": commune,
                "kind": rng.choice(("individual", "collective")),
                "jobs_envisaged": Decimal(rng.randint(0, 40)) / 10,
            }, now=submitted)
            project.advisor_id = advisor.id
            for holder in holders[1:]:
                db.session.add(ProjectHolder(project_id=project.id, user_id=holder.id,
                                             added_at=submitted))
            if stage.id == stages[0].id:  # still in the first stage: entered on submission
                submit_project(project, holders[0], now=entered)
            else:
                submit_project(project, holders[0], now=submitted)
                move_project(project, advisor, stage_id=stage.id,
                             seen_version=project.version, now=entered)
            create_note(project, advisor, kind="call", happened_on=active.date(),
                        body="Point d'étape.", visibility="internal", now=active)
        db.session.execute(delete(Notification))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Fresh statistics, as autovacuum would have them a minute later.
            db.session.execute(text("ANALYZE"))
            db.session.commit()


# --- Measuring through the test client ----------------------------------------------------

CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CARD_ID = re.compile(r'<li class="card[^"]*" id="project-(\d+)"')
LAST_INPUT = re.compile(r'name="last-(\d+)" value="([^"]*)"')
SHOW_ALL = re.compile(r'<p class="board-show-all" id="board-show-all">\s*<a href="([^"]+)"')
TOKEN_INPUT = re.compile(r'id="board-token" name="token" value="([^"]*)"')


def log_in(client) -> str:
    """Log in as the advisor through the form; return the CSRF token for htmx requests."""
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    response = client.post("/auth/login", data={
        "email": ADVISOR_EMAIL, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")
    # The login starts a new session: the board page carries its CSRF token.
    board = client.get("/board").get_data(as_text=True)
    return CSRF_HEADER.search(board).group(1)


def measure_board(client, statements: list[int], requests: int) -> dict[str, Any]:
    """``GET /board`` ``requests`` times after 3 warm-ups: times, size, SQL per render."""
    for _ in range(3):
        client.get("/board")
    times, sql, size = [], [], 0
    for _ in range(requests):
        before = statements[0]
        response, ms = timed(client.get, "/board")
        if response.status_code != 200:
            raise RuntimeError(f"GET /board answered {response.status_code}")
        times.append(ms)
        sql.append(statements[0] - before)
        size = len(response.data)
    return {"board_ms_median": statistics.median(times), "board_ms_p95": percentile(times, 0.95),
            "board_bytes": size, "board_sql": int(statistics.median(sql)),
            "board_sql_max": max(sql)}


# Searches as advisors type them: no accents, capitals, a holder's name, a commune filter.
SEARCHES = ("/board?q=epicerie", "/board?q=ECOLIEU", "/board?q=vilaine%20energies",
            "/board?q=guemene", "/board?commune=guemene-penfao")


def measure_search(client, statements: list[int], requests: int) -> dict[str, Any]:
    """The board filtered (text search and commune, accents and case aside): times and SQL
    statements per render, over ``SEARCHES`` in turn."""
    for url in SEARCHES:
        client.get(url)
    times, sql = [], []
    for n in range(requests):
        before = statements[0]
        response, ms = timed(client.get, SEARCHES[n % len(SEARCHES)])
        if response.status_code != 200:
            raise RuntimeError(f"GET {SEARCHES[n % len(SEARCHES)]} answered {response.status_code}")
        times.append(ms)
        sql.append(statements[0] - before)
    return {"search_ms_median": statistics.median(times), "search_ms_p95": percentile(times, 0.95),
            "search_sql": int(statistics.median(sql)), "search_sql_max": max(sql)}


def load_every_card(client) -> tuple[set[int], int]:
    """What the UI offers: the board page, its "Show every card" link when it has one,
    then each column's "load more" chain for what is left: the card ids seen and the
    number of requests made."""
    html = client.get("/board").get_data(as_text=True)
    requests = 1
    if (link := SHOW_ALL.search(html)) is not None:
        html = client.get(link.group(1).replace("&amp;", "&"),
                          headers={"HX-Request": "true"}).get_data(as_text=True)
        requests += 1
    cards = {int(i) for i in CARD_ID.findall(html)}
    for stage_id, last in LAST_INPUT.findall(html):
        for _ in range(100_000):  # bounded; a column ends well before
            if last == "all":
                break
            response = client.get(f"/board/stages/{stage_id}?after={last}",
                                  headers={"HX-Request": "true"})
            requests += 1
            if response.status_code != 200:
                raise RuntimeError(f"load more answered {response.status_code}")
            fragment = response.get_data(as_text=True)
            cards.update(int(i) for i in CARD_ID.findall(fragment))
            found = dict(LAST_INPUT.findall(fragment))
            if found.get(stage_id) in (None, last):
                raise RuntimeError(f"column {stage_id}: the load-more chain does not advance")
            last = found[stage_id]
    return cards, requests


def measure_all_cards(client, expected: int, runs: int = 5) -> dict[str, Any]:
    """Median time to load every card of the board (one warm-up run)."""
    load_every_card(client)
    times = []
    for _ in range(runs):
        (cards, requests), ms = timed(load_every_card, client)
        times.append(ms)
    if len(cards) != expected:
        print(f"WARNING: loaded {len(cards)} distinct cards, {expected} projects are active",
              file=sys.stderr)
    return {"all_cards_ms": statistics.median(times), "all_cards_requests": requests,
            "all_cards_count": len(cards)}


def board_state(app: Flask) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Each stage's active project ids, and every project's version, from the database."""
    with app.app_context():
        columns: dict[int, list[int]] = {
            stage_id: [] for stage_id in db.session.scalars(select(Stage.id))}
        versions = {}
        for project_id, stage_id, version in db.session.execute(
                select(Project.id, Project.stage_id, Project.version)
                .where(Project.status == ProjectStatus.ACTIVE.value)):
            columns[stage_id].append(project_id)
            versions[project_id] = version
    return columns, versions


#: Moves sent before the measured ones, two of each kind: the first statements a process
#: sends are compiled and cached then (SQLAlchemy, the prebuilt statements, the templates).
WARM_UP_MOVES = 4


def measure_moves(app: Flask, client, csrf: str, statements: list[int], moves: int,
                  rng: random.Random) -> dict[str, Any]:
    """``moves`` htmx moves, alternately to another stage (with a comment, so moving back is
    accepted) and within the card's column, sent as board.js sends a drop, after
    ``WARM_UP_MOVES`` unmeasured ones."""
    columns, versions = board_state(app)
    stage_ids = sorted(columns)
    html = client.get("/board").get_data(as_text=True)
    token = TOKEN_INPUT.search(html).group(1)
    times, sizes, sql, cpu = [], [], [], []
    by_kind: dict[bool, list[float]] = {True: [], False: []}  # stage changed → times
    sql_by_kind: dict[bool, list[int]] = {True: [], False: []}
    worker_sql: list[int] = []
    for n in range(WARM_UP_MOVES + moves):
        if n % 2 == 0:  # to another stage, under a random card or at the top
            source = rng.choice([s for s in stage_ids if columns[s]])
            target = rng.choice([s for s in stage_ids if s != source])
        else:  # within a column that has at least two cards
            source = target = rng.choice([s for s in stage_ids if len(columns[s]) > 1])
        project_id = rng.choice(columns[source])
        neighbours = [p for p in columns[target] if p != project_id]
        after_id = rng.choice(neighbours) if neighbours and rng.random() > 0.1 else 0
        data = {"q": "", "advisor": "", "theme": "", "commune": "", "token": token,
                **{f"last-{s}": "all" for s in stage_ids},
                "stage_id": target, "after_id": after_id, "version": versions[project_id]}
        if target != source:
            data["comment"] = "Moved by the benchmark."
        before = statements[0]
        cpu_start = time.thread_time()  # the test client serves in this thread
        response, ms = timed(client.post, f"/projects/{project_id}/move", data=data,
                             headers={"HX-Request": "true", "X-CSRFToken": csrf})
        cpu.append((time.thread_time() - cpu_start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"move {n + 1} of project {project_id} answered "
                               f"{response.status_code}: {response.get_data(as_text=True)[:300]}")
        request_sql = statements[0] - before
        # What the move left to the worker (its mails), outside the timing but counted:
        # the statements a move costs are the request's and the worker's.
        with app.app_context():
            run_pending()
        if n >= WARM_UP_MOVES:
            worker_sql.append(statements[0] - before - request_sql)
            times.append(ms)
            by_kind[target != source].append(ms)
            sizes.append(len(response.data))
            sql.append(request_sql)
            sql_by_kind[target != source].append(sql[-1])
        else:
            cpu.pop()
        versions[project_id] += 1
        if target != source:
            columns[source].remove(project_id)
            columns[target].append(project_id)
        found = TOKEN_INPUT.search(response.get_data(as_text=True))
        token = found.group(1) if found else token
    return {"move_ms_median": statistics.median(times), "move_ms_p95": percentile(times, 0.95),
            "move_cpu_ms_median": statistics.median(cpu),
            "move_bytes": int(statistics.median(sizes)), "move_sql": int(statistics.median(sql)),
            "move_sql_max": max(sql), "move_sql_min": min(sql),
            "move_sql_worker": _span(worker_sql),
            "move_sql_total_max": max(a + b for a, b in zip(sql, worker_sql, strict=True)),
            "move_ms_stage": statistics.median(by_kind[True] or [0.0]),
            "move_ms_reorder": statistics.median(by_kind[False] or [0.0]),
            "move_sql_stage": _span(sql_by_kind[True]),
            "move_sql_reorder": _span(sql_by_kind[False])}


def _span(values: list[int]) -> str:
    """``13`` or ``13–15``: the range of some counts."""
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


# --- Throughput under gunicorn ------------------------------------------------------------


def _cookie(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    """Keep the cookies a response sets."""
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            jar[name] = morsel.value


def _request(port: int, method: str, path: str, jar: dict[str, str],
             body: dict | None = None) -> tuple[int, str]:
    """One request to the local server with the cookies of ``jar`` (updated from the
    answer); ``body`` is sent as a form. Returns the status and the page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    payload = None
    if body is not None:
        payload = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        _cookie(response, jar)
        return response.status, page
    finally:
        connection.close()


def hammer(port: int, cookie: str, seconds: float, clients: int,
           max_requests: int = 200_000) -> tuple[int, int, float]:
    """``clients`` threads asking for /board for ``seconds``, each on its own connection
    (HTTP/1.1 keep-alive; gunicorn's sync workers close it after each answer, and http.client
    reconnects): (answers 200, errors, elapsed seconds)."""
    deadline = time.perf_counter() + seconds
    done, errors, lock = [0], [0], threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ok = bad = 0
        while time.perf_counter() < deadline and ok + bad < max_requests:
            try:
                connection.request("GET", "/board", headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                ok, bad = (ok + 1, bad) if response.status == 200 else (ok, bad + 1)
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()  # reconnects at the next request
        connection.close()
        with lock:
            done[0] += ok
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return done[0], errors[0], time.perf_counter() - start


def measure_throughput(database_url: str, seconds: float = 5.0,
                       clients: int = 8) -> dict[str, Any]:
    """Serve the app with gunicorn (2 workers, ``common.serve``) and count the board pages
    it serves."""
    # bench_config (no limits, the bench's key) for the workers, through make_app_for_gunicorn.
    with serve({"INCUBATOR_DATABASE_URL": database_url}, workers=2,
               app="bench.board:make_app_for_gunicorn()", ready_seconds=30) as server:
        port = server.port
        jar: dict[str, str] = {}
        _status, page = _request(port, "GET", "/auth/login", jar)
        status, _ = _request(port, "POST", "/auth/login", jar, {
            "email": ADVISOR_EMAIL, "password": PASSWORD,
            "csrf_token": CSRF_INPUT.search(page).group(1)})
        if status != 303:
            raise RuntimeError(f"login through gunicorn answered {status}")
        status, _ = _request(port, "GET", "/board", jar)  # settles the session (CSRF token)
        if status != 200:
            raise RuntimeError(f"GET /board through gunicorn answered {status}")
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        hammer(port, cookie, 1.0, clients)  # warm-up: both workers compile their templates
        ok, errors, elapsed = hammer(port, cookie, seconds, clients)
        return {"throughput_rps": ok / elapsed, "throughput_errors": errors,
                "throughput_requests": ok}


# --- One size, and the report ---------------------------------------------------------------


def run_size(projects: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Build the database for ``projects`` and measure everything for that size."""
    url = database_url(workdir / f"board-{projects}.db")
    app = create_app(bench_config(url))
    rng = random.Random(projects)  # the same data at every run
    start = time.perf_counter()
    empty_database(app)
    seed(app, projects, rng)
    build_seconds = time.perf_counter() - start
    result: dict[str, Any] = {"projects": projects, "database": database_version(url),
                              "build_s": build_seconds, "load": os.getloadavg()[0]}
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"  # the pole's users read French
    try:
        csrf = log_in(client)
        with counting_statements(app) as statements:
            if not args.moves_only:
                result |= measure_board(client, statements, args.board_requests)
                result |= measure_search(client, statements, args.board_requests)
                result |= measure_all_cards(client, projects)
            result |= measure_moves(app, client, csrf, statements, args.moves, rng)
        if projects in args.throughput_sizes and not args.moves_only:
            result |= measure_throughput(url, args.throughput_seconds)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return result


JSON_KEYS = ("projects", "board_ms_median", "board_ms_p95", "board_bytes", "board_sql",
             "search_ms_median", "search_ms_p95", "search_sql",
             "all_cards_ms", "move_ms_median", "move_ms_p95", "move_cpu_ms_median",
             "move_bytes", "move_sql",
             "move_sql_worker", "move_sql_total_max", "throughput_rps")


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def _page_rows(r: dict[str, Any], at: bool) -> list[tuple]:
    """``print_table``'s rows for the board page, the search and every card."""
    kb, requests = r["board_bytes"] / 1024, r["all_cards_requests"]
    return [
        ("board page", f"median {r['board_ms_median']:.1f} ms, p95 {r['board_ms_p95']:.1f} ms",
         f"≤ {BOARD_MS:.0f} ms median", r["board_ms_median"] <= BOARD_MS, at),
        ("", f"{kb:,.1f} KB, {r['board_sql']} SQL statements", f"≤ {BOARD_KB:.0f} KB",
         kb <= BOARD_KB, at),
        ("search", f"median {r['search_ms_median']:.1f} ms, p95 {r['search_ms_p95']:.1f} ms, "
         f"{r['search_sql']} SQL (max {r['search_sql_max']})", "", True, False),
        ("all cards", f"{r['all_cards_ms']:,.1f} ms ({r['all_cards_count']:,} cards, "
         f"{requests} request{'s' if requests != 1 else ''})", f"≤ {ALL_CARDS_MS:.0f} ms",
         r["all_cards_ms"] <= ALL_CARDS_MS, at),
    ]


def print_table(r: dict[str, Any]) -> None:
    """One size's figures, with PASS/MISS where a target applies to this size."""
    at = r["projects"] == TARGET_SIZE
    move_kb = r["move_bytes"] / 1024
    # (label, figure, target, met?, does the target apply to this size?)
    rows = _page_rows(r, at) if "board_ms_median" in r else []  # not with --moves-only
    rows += [
        ("move", f"median {r['move_ms_median']:.1f} ms, p95 {r['move_ms_p95']:.1f} ms, "
         f"thread CPU {r['move_cpu_ms_median']:.1f} ms",
         f"≤ {MOVE_MS:.0f} ms median", r["move_ms_median"] <= MOVE_MS, at),
        ("", f"(to another stage {r['move_ms_stage']:.1f} ms, {r['move_sql_stage']} SQL; "
         f"within a column {r['move_ms_reorder']:.1f} ms, {r['move_sql_reorder']} SQL)", "",
         True, False),
        ("", f"{move_kb:.1f} KB, {r['move_sql']} SQL statements "
         f"(min {r['move_sql_min']}, max {r['move_sql_max']})",
         f"≤ {MOVE_KB:.0f} KB, ≤ {MOVE_SQL} SQL each",
         move_kb <= MOVE_KB and r["move_sql_max"] <= MOVE_SQL, at),
        ("", f"+ {r['move_sql_worker']} SQL in the worker for the mails a move queues "
         f"(request + worker: max {r['move_sql_total_max']})", "", True, False),
    ]
    if "throughput_rps" in r:
        rows.append((
            "throughput", f"{r['throughput_rps']:,.0f} requests/s, "
            f"{r['throughput_errors']} errors", f"≥ {THROUGHPUT_RPS:.0f} requests/s",
            r["throughput_rps"] >= THROUGHPUT_RPS and r["throughput_errors"] == 0,
            r["projects"] == THROUGHPUT_SIZE))
    print(f"\n{r['projects']:,} projects — {r['database']} "
          f"(database built in {r['build_s']:.1f} s; load average {r['load']:.2f})")
    for label, figure, target, ok, applies in rows:
        print(f"  {label:<12}{figure:<56}{target if applies else '':<28}"
              f"{verdict(ok) if applies else ''}".rstrip())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=sizes, default=[100, 1000, 10000],
                        help="comma-separated numbers of active projects (default 100,1000,10000)")
    parser.add_argument("--throughput-sizes", type=sizes, default=[THROUGHPUT_SIZE],
                        help="sizes at which to measure gunicorn throughput (default 100)")
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--board-requests", type=int, default=50)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--moves-only", action="store_true",
                        help="measure the moves alone (no board, search, cards, throughput)")
    parser.add_argument("--json", action="store_true", help="one JSON object per size per line")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure every size asked for and print a table (or JSON lines) per size."""
    args = parse_args(argv)
    if not args.json:
        print_machine()
    with tempfile.TemporaryDirectory(prefix="incubator-bench-") as workdir:
        for projects in args.projects:
            result = run_size(projects, args, Path(workdir))
            if args.json:
                print(json.dumps({k: round(result[k], 2) if isinstance(result[k], float)
                                  else result[k] for k in JSON_KEYS if k in result}), flush=True)
            else:
                print_table(result)
                sys.stdout.flush()
    if not args.json:
        print("\nTargets apply at 1,000 projects (throughput: at 100); see docs/performance.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
