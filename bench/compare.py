"""Incubateur against Kanboard, side by side, in interleaved rounds on the same machine.

Kanboard (1.2.53, php-fpm ×4 behind nginx, SQLite) runs already, with one project per size
holding that many active tasks over five columns (docs/performance.md, "Measuring against
Kanboard", gives the set-up). This script builds Incubateur's database for each size (the
seed of bench/board.py: N active projects over the five stages, 35/25/20/12/8 %), serves it
with gunicorn as the README does (``gunicorn.conf.py`` read from the repository root) with
4 sync workers, like php-fpm's 4 children, logs in on both, and measures in rounds, the side
that goes first alternating from one round to the next (A B, B A, A B…):

- board page: latency of ``--board-requests`` sequential requests (median of the round);
- board requests per second with ``--connections`` (8) concurrent connections for
  ``--seconds`` (wrk when installed, else Python threads);
- every card on screen: Kanboard's board page holds every task; Incubateur's board page shows
  the first cards of each column, and each column's "load more" chain
  (``GET /board/stages/<id>?after=…`` as htmx) brings the rest. Two definitions are printed:
  "one connection", the sum of the sequential requests (the figure with a target), and
  "6 connections", the wall time when, after the board page, the columns' chains run side by
  side as a browser's 6 connections per host allow;
- move: Incubateur's htmx ``POST /projects/<id>/move`` (the fields board.js sends on a drop)
  against Kanboard's ``BoardAjaxController::save`` (the JSON body its drag and drop sends,
  ``X-Requested-With: XMLHttpRequest``), alternately to another column and within one; each
  answers what its board needs (Incubateur the card and column headers, Kanboard the whole
  board);
- the board in the page cache's other states (Incubateur keeps the board's rendered part per
  board revision and answers 304 to an ``If-None-Match`` naming an unchanged board; Kanboard
  keeps nothing and sends no ETag): the page revalidated as a browser revisiting it does
  (``If-None-Match`` with the last ETag), and, ``--after-move`` times per round, the board page
  and every card each read right after a move (a miss: each write gives a new revision). The
  plain board page and "every card" figures are the cache's hits (the "every card" run is
  preceded by untimed ones filling each worker's cache);
- answer bytes of each;
- the servers' CPU time per board page, per "every card" and per move (gunicorn's processes,
  and php-fpm's and nginx's given by ``--kanboard-pidfile``): the firm figure on a busy
  machine, where latencies mostly measure the wait for a core.

Every figure is the median of its round, then the median over ``--rounds`` rounds; the ratio
is Incubateur / Kanboard, checked against the targets of issue 15. Run from the repository
root::

    .venv/bin/python bench/compare.py --kanboard-url http://127.0.0.1:18580 \\
        --kanboard-user admin --kanboard-password admin --kanboard-project 100=1,1000=2 \
        --kanboard-pidfile /work/kanboard-run/php-fpm.pid \
        --kanboard-pidfile /work/kanboard-run/nginx.pid
    .venv/bin/python bench/compare.py … --kanboard-cookie 'KB_SID=…' --json

Incubateur's database is a SQLite file in a temporary folder, or the PostgreSQL database
named by ``INCUBATOR_DATABASE_URL`` (emptied first). Incubateur's moves change its data;
Kanboard's moves change Kanboard's project (positions and columns only).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from contextlib import ExitStack
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

# Run as a script (``python bench/compare.py``), it finds bench/ from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.board import (  # noqa: E402
    ADVISOR_EMAIL,
    CARD_ID,
    CSRF_HEADER,
    LAST_INPUT,
    SHOW_ALL,
    TOKEN_INPUT,
    board_state,
    seed,
)
from bench.common import (  # noqa: E402
    CSRF_INPUT,
    PASSWORD,
    bench_config,
    database_url,
    database_version,
    empty_database,
    print_machine,
    process_tree_cpu,
    serve,
)
from incubator import create_app  # noqa: E402
from incubator.extensions import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4  # php-fpm's pm.max_children in the Kanboard set-up
BROWSER_CONNECTIONS = 6  # what browsers open per host over HTTP/1.1
START_SECONDS = 180  # gunicorn may take this long to answer its first connection (busy machine)

# Issue 15's targets, as Incubateur / Kanboard ratios: figure → {size: (bound, "max"/"min")}.
TARGETS: dict[str, dict[int, tuple[float, str]]] = {
    "board_ms": {100: (0.5, "max"), 1000: (0.1, "max")},
    "rps": {100: (2.0, "min")},
    "all_cards_ms": {1000: (0.2, "max")},
    "move_ms": {100: (0.05, "max"), 1000: (0.05, "max")},
}


# --- HTTP -----------------------------------------------------------------------------------


class Site:
    """One web application at ``base_url`` with its cookies; a new connection per request
    (gunicorn's sync workers close each one anyway), timed from sending to the last byte."""

    def __init__(self, base_url: str, cookie: str = "") -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.jar: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in cookie.split(";"))):
            name, _, value = pair.partition("=")
            self.jar[name] = value

    @property
    def cookie(self) -> str:
        """The ``Cookie`` header this site's requests carry."""
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def url(self, path: str) -> str:
        """The full URL of ``path`` (for wrk)."""
        return f"http://{self.host}:{self.port}{self.prefix}{path}"

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float, Any]:
        """(status, body, milliseconds, response headers); cookies set are kept."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        sent = {"Cookie": self.cookie, "Accept-Language": "fr", **(headers or {})}
        try:
            start = time.perf_counter()
            connection.request(method, self.prefix + path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            ms = (time.perf_counter() - start) * 1000
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.jar[name] = morsel.value
        return response.status, data, ms, response.headers

    def get(self, path: str, headers: dict[str, str] | None = None):
        """A GET (see ``request``)."""
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict[str, Any], headers: dict[str, str] | None = None):
        """A form POST (see ``request``)."""
        return self.request("POST", path, urllib.parse.urlencode(fields), {
            "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


def hammer(site: Site, path: str, seconds: float, connections: int) -> dict[str, Any]:
    """Requests per second for ``path`` with ``connections`` concurrent clients:
    {"rps", "errors", "tool"}. wrk (C, little CPU of its own) when installed, else Python
    threads (which take a share of the CPU the servers need)."""
    wrk = shutil.which("wrk")
    if wrk:
        run = subprocess.run(  # noqa: S603
            [wrk, "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
             "--timeout", "60s", "-H", f"Cookie: {site.cookie}", "-H", "Accept-Language: fr",
             site.url(path)],
            capture_output=True, text=True, timeout=seconds + 120, check=False)
        if run.returncode:
            raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
        rps, errors = parse_wrk(run.stdout)
        return {"rps": rps, "errors": errors, "tool": "wrk"}
    deadline = time.perf_counter() + seconds
    done, errors, lock = [0], [0], threading.Lock()

    def client() -> None:
        ok = bad = 0
        while time.perf_counter() < deadline:
            try:
                status, *_ = site.request("GET", path)
                ok, bad = (ok + 1, bad) if status == 200 else (ok, bad + 1)
            except (OSError, http.client.HTTPException):
                bad += 1
        with lock:
            done[0] += ok
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rps": done[0] / (time.perf_counter() - start), "errors": errors[0],
            "tool": "python threads"}


WRK_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk(output: str) -> tuple[float, int]:
    """(requests per second, errors) from wrk's report; errors are non-2xx/3xx answers and
    socket errors (connect, read, write, timeout)."""
    found = WRK_RPS.search(output)
    if not found:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in WRK_BAD.findall(output))
    socket_errors = WRK_SOCKET.search(output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return float(found[1]), errors


# --- Server CPU time --------------------------------------------------------------------------

def read_pids(paths: list[str]) -> list[int]:
    """The process ids written in pid files (php-fpm.pid, nginx.pid)."""
    return [int(Path(path).read_text().split()[0]) for path in paths]


# --- Kanboard -------------------------------------------------------------------------------

KANBOARD_TASK = re.compile(
    r'data-task-id="(\d+)"\s+data-column-id="(\d+)"\s+data-swimlane-id="(\d+)"')
KANBOARD_SAVE_URL = re.compile(r'data-save-url="([^"]+)"')
KANBOARD_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def kanboard_board_path(project_id: int) -> str:
    """The board page of a Kanboard project (without URL rewriting)."""
    return f"/?controller=BoardViewController&action=show&project_id={project_id}"


def kanboard_log_in(site: Site, user: str, password: str) -> None:
    """Log in through Kanboard's form; the session cookie (KB_SID) lands in ``site.jar``."""
    _status, page, *_ = site.get("/?controller=AuthController&action=login")
    found = KANBOARD_CSRF.search(page.decode())
    if not found:
        raise RuntimeError("Kanboard's login page has no CSRF token: is the URL right?")
    status, _page, _ms, headers = site.post_form(
        "/?controller=AuthController&action=check",
        {"csrf_token": found[1], "username": user, "password": password})
    if status != 302 or "AuthController" in (headers.get("Location") or ""):
        raise RuntimeError(f"Kanboard refused the login of {user!r} ({status})")


def kanboard_columns(html: str) -> tuple[dict[int, list[int]], int]:
    """A Kanboard board page's columns (id → task ids, top to bottom) and its swimlane id."""
    columns: dict[int, list[int]] = {}
    swimlane = 0
    for task, column, lane in KANBOARD_TASK.findall(html):
        columns.setdefault(int(column), []).append(int(task))
        swimlane = int(lane)
    return columns, swimlane


class Kanboard:
    """The Kanboard side: one project, its board page, its drag-and-drop save."""

    name = "Kanboard"

    def __init__(self, site: Site, project_id: int, rng: random.Random,
                 pids: list[int]) -> None:
        self.site, self.project_id, self.rng, self.pids = site, project_id, rng, pids
        self.path = kanboard_board_path(project_id)
        status, page, _ms, headers = site.get(self.path)
        if status != 200:
            raise RuntimeError(f"Kanboard's board of project {project_id} answered {status} "
                               f"{headers.get('Location') or ''} (session cookie expired?)")
        self.refresh(page.decode())
        if not self.columns:
            raise RuntimeError(f"Kanboard's project {project_id} has no task on its board")
        self.tasks = sum(len(tasks) for tasks in self.columns.values())

    def refresh(self, html: str) -> None:
        """Read the columns and the save URL from a board (the page, or a move's answer)."""
        self.columns, self.swimlane = kanboard_columns(html)
        found = KANBOARD_SAVE_URL.search(html)
        if found:
            self.save_path = found[1].replace("&amp;", "&")

    def board(self, conditional: bool = False) -> tuple[float, int]:
        """One board page: (ms, bytes). ``conditional`` as a browser revisiting it: Kanboard's
        board page has no ETag, so the browser has nothing to send and gets the whole page."""
        status, page, ms, _ = self.site.get(self.path)
        if status != 200:
            raise RuntimeError(f"Kanboard's board answered {status}")
        return ms, len(page)

    def warm(self) -> None:
        """Nothing to fill: Kanboard keeps no rendered page."""

    def all_cards(self, parallel: bool) -> tuple[float, int, int, int]:
        """Every task on screen: the board page holds them all. (ms, requests, bytes, cards)"""
        status, page, ms, _ = self.site.get(self.path)
        if status != 200:
            raise RuntimeError(f"Kanboard's board answered {status}")
        return ms, 1, len(page), len(set(KANBOARD_TASK.findall(page.decode())))

    def move(self, across: bool) -> tuple[float, int]:
        """One drag and drop, as Kanboard's BoardDragAndDrop.save sends it: (ms, bytes)."""
        ids = list(self.columns)
        if across:
            source = self.rng.choice([c for c in ids if self.columns[c]])
            target = self.rng.choice([c for c in ids if c != source])
            task = self.rng.choice(self.columns[source])
            position = self.rng.randint(1, len(self.columns[target]) + 1)
        else:  # to another place: Kanboard answers 400 to a drop where the task was
            source = target = self.rng.choice([c for c in ids if len(self.columns[c]) > 1])
            task = self.rng.choice(self.columns[source])
            here = self.columns[source].index(task) + 1
            position = self.rng.choice(
                [p for p in range(1, len(self.columns[target]) + 1) if p != here])
        body = json.dumps({"task_id": task, "src_column_id": source, "dst_column_id": target,
                           "swimlane_id": self.swimlane, "position": position})
        status, page, ms, _ = self.site.request("POST", self.save_path, body, {
            "Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"})
        if status != 201:
            raise RuntimeError(f"Kanboard's move of task {task} answered {status}: {page[:300]}")
        self.refresh(page.decode())
        return ms, len(page)


# --- Incubateur -----------------------------------------------------------------------------


class Incubateur:
    """The Incubateur side: gunicorn serving a freshly seeded database."""

    name = "Incubateur"

    def __init__(self, projects: int, workdir: Path, rng: random.Random,
                 port: int = 0) -> None:
        self.projects, self.rng = projects, rng
        self.database_url = database_url(workdir / f"compare-{projects}.db")
        self.app = create_app(bench_config(self.database_url))
        empty_database(self.app)
        seed(self.app, projects, random.Random(projects))
        self.columns, self.versions = board_state(self.app)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        # gunicorn as the README starts it (from the repository root, so gunicorn.conf.py
        # applies), WORKERS sync workers; the workers use bench_config (no login limits, the
        # bench's key) through make_app_for_gunicorn.
        self._serving = ExitStack()
        self.server = self._serving.enter_context(serve(
            {"INCUBATOR_DATABASE_URL": self.database_url}, workers=WORKERS, port=port or None,
            app="bench.board:make_app_for_gunicorn()", ready_seconds=START_SECONDS))
        try:
            self.port = self.server.port
            self.pids = [self.server.pid]
            self.site = Site(f"http://127.0.0.1:{self.port}")
            _status, page, *_ = self.site.get("/auth/login")
            status, *_ = self.site.post_form("/auth/login", {
                "email": ADVISOR_EMAIL, "password": PASSWORD,
                "csrf_token": CSRF_INPUT.search(page.decode())[1]})
            if status != 303:
                raise RuntimeError(f"Incubateur's login answered {status}")
            status, page, *_ = self.site.get("/board")  # settles the session (CSRF token)
            if status != 200:
                raise RuntimeError(f"Incubateur's board answered {status}")
            html = page.decode()
            self.csrf = CSRF_HEADER.search(html)[1]
            self.token = TOKEN_INPUT.search(html)[1]
        except BaseException:
            self._serving.close()
            raise

    def stop(self) -> None:
        """Stop gunicorn (its whole process group: ``common.serve``)."""
        self._serving.close()

    path = "/board"
    etag: str | None = None  # the last board page's, as a browser's cache keeps it

    def board(self, conditional: bool = False) -> tuple[float, int]:
        """One board page: (ms, bytes). ``conditional``: with ``If-None-Match`` naming the
        last page's ETag, as a browser revisiting the board sends it (its answer is kept
        under ``Cache-Control: private, no-cache``): a 304 with no body while the board is
        unchanged."""
        headers = {"If-None-Match": self.etag} if conditional and self.etag else None
        status, page, ms, response = self.site.get("/board", headers)
        if status not in ((200, 304) if headers else (200,)):
            raise RuntimeError(f"Incubateur's board answered {status}")
        if status == 200:
            self.etag = response.get("ETag")
        return ms, len(page)

    def warm(self) -> None:
        """Fill each worker's page cache for the board and « Afficher toutes les cartes »
        (probably each of the 4: which one accepts a connection is the kernel's choice), so
        that the "every card" figure that follows measures the cache's hits, not a mix."""
        for _ in range(2 * WORKERS):
            self.all_cards(parallel=False)

    def _chain(self, stage_id: str, last: str) -> tuple[float, int, int, set[int]]:
        """One column's "load more" chain: (ms summed, requests, bytes, card ids)."""
        total_ms, requests, size, cards = 0.0, 0, 0, set()
        for _ in range(100_000):  # bounded; a column ends well before
            if last == "all":
                break
            status, page, ms, _ = self.site.get(f"/board/stages/{stage_id}?after={last}",
                                                {"HX-Request": "true"})
            if status != 200:
                raise RuntimeError(f"Incubateur's load more answered {status}")
            total_ms, requests, size = total_ms + ms, requests + 1, size + len(page)
            fragment = page.decode()
            cards.update(int(i) for i in CARD_ID.findall(fragment))
            found = dict(LAST_INPUT.findall(fragment))
            if found.get(stage_id) in (None, last):
                raise RuntimeError(f"column {stage_id}: the load-more chain does not advance")
            last = found[stage_id]
        return total_ms, requests, size, cards

    def all_cards(self, parallel: bool) -> tuple[float, int, int, int]:
        """What the UI offers: the board page, its "Show every card" link when it has one,
        then every column's "load more" chain for what is left, one after another on one
        connection (ms: the sum), or side by side on up to 6 connections (ms: wall time).
        (ms, requests, bytes, distinct cards)"""
        start = time.perf_counter()
        status, page, ms, _ = self.site.get("/board")
        if status != 200:
            raise RuntimeError(f"Incubateur's board answered {status}")
        html = page.decode()
        if (link := SHOW_ALL.search(html)) is not None:  # « Afficher toutes les cartes »
            status, shown, more_ms, _ = self.site.get(link.group(1).replace("&amp;", "&"),
                                                      {"HX-Request": "true"})
            if status != 200:
                raise RuntimeError(f"Incubateur's show every card answered {status}")
            ms, page, html = ms + more_ms, page + shown, shown.decode()
            shown_requests = 1
        else:
            shown_requests = 0
        cards = {int(i) for i in CARD_ID.findall(html)}
        chains = LAST_INPUT.findall(html)
        results: list[tuple[float, int, int, set[int]]] = []
        if parallel:
            threads = [threading.Thread(target=lambda c=c: results.append(self._chain(*c)))
                       for c in chains]
            for batch in range(0, len(threads), BROWSER_CONNECTIONS):
                for thread in threads[batch:batch + BROWSER_CONNECTIONS]:
                    thread.start()
                for thread in threads[batch:batch + BROWSER_CONNECTIONS]:
                    thread.join()
            if len(results) != len(chains):
                raise RuntimeError("a load-more chain failed (see above)")
            total = (time.perf_counter() - start) * 1000
        else:
            results = [self._chain(*chain) for chain in chains]
            total = ms + sum(r[0] for r in results)
        for result in results:
            cards |= result[3]
        return (total, 1 + shown_requests + sum(r[1] for r in results),
                len(page) + sum(r[2] for r in results),
                len(cards))

    def move(self, across: bool) -> tuple[float, int]:
        """One htmx move, the fields board.js sends on a drop (as bench/board.py): (ms, bytes)."""
        stage_ids = sorted(self.columns)
        if across:  # to another stage, under a random card or at the top
            source = self.rng.choice([s for s in stage_ids if self.columns[s]])
            target = self.rng.choice([s for s in stage_ids if s != source])
        else:
            source = target = self.rng.choice(
                [s for s in stage_ids if len(self.columns[s]) > 1])
        project_id = self.rng.choice(self.columns[source])
        neighbours = [p for p in self.columns[target] if p != project_id]
        after_id = self.rng.choice(neighbours) if neighbours and self.rng.random() > 0.1 else 0
        data = {"q": "", "advisor": "", "theme": "", "commune": "", "token": self.token,
                **{f"last-{s}": "all" for s in stage_ids},
                "stage_id": target, "after_id": after_id, "version": self.versions[project_id]}
        if across:
            data["comment"] = "Moved by the benchmark."
        status, page, ms, _ = self.site.post_form(
            f"/projects/{project_id}/move", data,
            {"HX-Request": "true", "X-CSRFToken": self.csrf})
        if status != 200:
            raise RuntimeError(f"Incubateur's move of project {project_id} answered {status}: "
                               f"{page[:300]!r}")
        self.versions[project_id] += 1
        if across:
            self.columns[source].remove(project_id)
            self.columns[target].append(project_id)
        found = TOKEN_INPUT.search(page.decode())
        self.token = found[1] if found else self.token
        return ms, len(page)


# --- Rounds ---------------------------------------------------------------------------------


def one_round(side, args: argparse.Namespace) -> dict[str, float]:
    """Every figure of one side for one round (the medians of its requests), and the
    server's CPU time per board page, per "every card" and per move where its processes are
    known (``side.pids``): the same work whatever else runs on the machine."""

    def cpu_ms(work: Callable[[], Any], count: int) -> tuple[Any, float | None]:
        if not side.pids:
            return work(), None
        before = process_tree_cpu(side.pids)
        result = work()
        time.sleep(0.05)  # let a thread started after the last answer (mail) finish
        return result, (process_tree_cpu(side.pids) - before) * 1000 / count

    board, board_cpu = cpu_ms(lambda: [side.board() for _ in range(args.board_requests)],
                              args.board_requests)
    revalidated, revalidated_cpu = cpu_ms(
        lambda: [side.board(conditional=True) for _ in range(args.board_requests)],
        args.board_requests)
    side.warm()
    cards, cards_cpu = cpu_ms(
        lambda: [side.all_cards(parallel=False) for _ in range(3)], 3)
    cards = sorted(cards)[1]  # the middle of three
    cards_parallel = side.all_cards(parallel=True)
    moves, move_cpu = cpu_ms(
        lambda: [side.move(across=n % 2 == 0) for n in range(args.moves)], args.moves)
    after = after_moves(side, args.after_move)
    load = hammer(side.site, side.path, args.seconds, args.connections)
    return after | {
        "board_revalidated_ms": statistics.median(ms for ms, _ in revalidated),
        "board_revalidated_bytes": statistics.median(size for _, size in revalidated),
        "board_revalidated_cpu_ms": revalidated_cpu,
        "board_cpu_ms": board_cpu, "all_cards_cpu_ms": cards_cpu, "move_cpu_ms": move_cpu,
        "board_ms": statistics.median(ms for ms, _ in board),
        "board_bytes": statistics.median(size for _, size in board),
        "rps": load["rps"], "rps_errors": load["errors"], "rps_tool": load["tool"],
        "all_cards_ms": cards[0], "all_cards_requests": cards[1], "all_cards_bytes": cards[2],
        "all_cards_count": cards[3], "all_cards_parallel_ms": cards_parallel[0],
        "move_ms": statistics.median(ms for ms, _ in moves),
        "move_bytes": statistics.median(size for _, size in moves),
    }


def after_moves(side, pairs: int) -> dict[str, float | None]:
    """What a user sees of the board right after a write (the page cache's miss: each move
    gives the board a new revision): ``pairs`` times, a move then a board page, and a move
    then every card (as ``all_cards``), alternately to another column and within one. Only
    the reads are timed; their server CPU is read around them, 50 ms after the move's answer
    (what the move's request still does after sending it: its teardown, the access log).
    The figures' medians; none when ``pairs`` is 0."""
    keys = ("board_after_move_ms", "board_after_move_cpu_ms",
            "all_cards_after_move_ms", "all_cards_after_move_cpu_ms")
    if not pairs:
        return dict.fromkeys(keys)
    board, cards, board_cpu, cards_cpu = [], [], 0.0, 0.0

    def timed(read: Callable[[], tuple]) -> tuple[float, float]:
        time.sleep(0.05)  # the move's request ending, not counted in the read's CPU
        before = process_tree_cpu(side.pids) if side.pids else 0.0
        ms = read()[0]
        return ms, (process_tree_cpu(side.pids) - before) * 1000 if side.pids else 0.0

    for n in range(pairs):
        side.move(across=n % 2 == 0)
        ms, cpu = timed(side.board)
        board.append(ms)
        board_cpu += cpu
        side.move(across=n % 2 == 1)
        ms, cpu = timed(lambda: side.all_cards(parallel=False))
        cards.append(ms)
        cards_cpu += cpu
    return dict(zip(keys, (statistics.median(board), board_cpu / pairs if side.pids else None,
                           statistics.median(cards), cards_cpu / pairs if side.pids else None),
                    strict=True))


def interleave(incubateur, kanboard, args: argparse.Namespace,
               progress: Callable[[str], None]) -> list[dict[str, dict[str, Any]]]:
    """A warm-up of each side, then ``args.rounds`` rounds, alternating which side goes
    first: a list of {"Incubateur": figures, "Kanboard": figures}."""
    for side in (incubateur, kanboard):
        # Every worker (gunicorn's 4, php-fpm's 4) answers each kind of request at least
        # once, probably: templates compiled, caches filled, before anything is timed.
        for _ in range(3 * WORKERS):
            side.board()
        for _ in range(2 * WORKERS):
            side.all_cards(parallel=False)
        for n in range(3 * WORKERS):
            side.move(across=n % 2 == 0)
        hammer(side.site, side.path, 1, args.connections)
    rounds = []
    for n in range(args.rounds):
        order = (incubateur, kanboard) if n % 2 == 0 else (kanboard, incubateur)
        figures = {}
        for side in order:
            figures[side.name] = one_round(side, args)
        progress(f"  round {n + 1}/{args.rounds}: board {figures['Incubateur']['board_ms']:.1f}"
                 f" / {figures['Kanboard']['board_ms']:.1f} ms, "
                 f"move {figures['Incubateur']['move_ms']:.1f} / "
                 f"{figures['Kanboard']['move_ms']:.1f} ms")
        rounds.append(figures)
    return rounds


NUMBERS = ("board_ms", "board_bytes", "rps", "rps_errors", "all_cards_ms",
           "all_cards_parallel_ms", "all_cards_requests", "all_cards_bytes", "all_cards_count",
           "move_ms", "move_bytes", "board_cpu_ms", "all_cards_cpu_ms", "move_cpu_ms",
           "board_revalidated_ms", "board_revalidated_bytes", "board_revalidated_cpu_ms",
           "board_after_move_ms", "board_after_move_cpu_ms", "all_cards_after_move_ms",
           "all_cards_after_move_cpu_ms")
# Server CPU per request, shown beside the latency targets as a hint only: steadier on a busy
# machine, but a latency also holds waits outside the CPU (Kanboard's session written to SQLite
# on every request, its large answers through nginx).
CPU_OF = {"board_cpu_ms": "board_ms", "all_cards_cpu_ms": "all_cards_ms",
          "move_cpu_ms": "move_ms", "board_revalidated_cpu_ms": "board_ms",
          "board_after_move_cpu_ms": "board_ms", "all_cards_after_move_cpu_ms": "all_cards_ms"}
# The same reads in the cache's other states: a browser revalidating (304 while unchanged),
# and right after a write (a miss). Held to the same targets as the plain read (a hit).
SAME_TARGET = {"board_revalidated_ms": "board_ms", "board_after_move_ms": "board_ms",
               "all_cards_after_move_ms": "all_cards_ms"}


def target_of(figure: str, size: int) -> tuple[float, str] | None:
    """Issue 15's (bound, "max"/"min") for ``figure`` at ``size`` cards, if it has one."""
    figure = CPU_OF.get(figure, figure)
    return TARGETS.get(SAME_TARGET.get(figure, figure), {}).get(size)


def summarise(size: int, rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """The median over rounds of each figure, each side; ratios and verdicts."""
    result: dict[str, Any] = {"cards": size, "rounds": len(rounds)}
    for name in ("Incubateur", "Kanboard"):
        key = name.lower()
        result[key] = {figure: statistics.median(r[name][figure] for r in rounds)
                       if all(r[name].get(figure) is not None for r in rounds) else None
                       for figure in NUMBERS}
        result[key]["rps_errors"] = sum(r[name]["rps_errors"] for r in rounds)
        result[key]["rps_tool"] = rounds[0][name]["rps_tool"]
    result["ratio"], result["verdict"] = {}, {}
    for figure in ("board_ms", "board_bytes", "rps", "all_cards_ms", "all_cards_parallel_ms",
                   "all_cards_bytes", "move_ms", "move_bytes", *SAME_TARGET,
                   "board_revalidated_bytes", *CPU_OF):
        ours, theirs = result["incubateur"][figure], result["kanboard"][figure]
        if ours is None or theirs is None:
            continue
        # No ratio, no verdict when Kanboard's figure is 0 (wrk finished no request within
        # --seconds on a busy machine: 0/0 is no measurement, not a PASS).
        result["ratio"][figure] = ours / theirs if theirs else None
        target = target_of(figure, size)
        if target and not theirs:
            result["verdict"][figure] = "n/a"
        elif target:
            bound, kind = target
            ratio = result["ratio"][figure]
            result["verdict"][figure] = "PASS" if (
                ratio <= bound if kind == "max" else ratio >= bound) else "MISS"
    return result


def human_bytes(n: float) -> str:
    """1.5 KB, 101 KB, 6.5 MB."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{n / 1024:.1f} KB" if n < 10 * 1024 else f"{n / 1024:.0f} KB"


def print_result(r: dict[str, Any], connections: int) -> None:
    """One size's table: each figure for both, the ratio, the target and PASS/MISS."""
    ours, theirs, size = r["incubateur"], r["kanboard"], r["cards"]
    rows = [
        ("board page, median", "board_ms", lambda v: f"{v:,.1f} ms"),
        ("board page, revalidated (304)", "board_revalidated_ms", lambda v: f"{v:,.1f} ms"),
        ("board page, right after a move", "board_after_move_ms", lambda v: f"{v:,.1f} ms"),
        (f"board requests/s, {connections} connections", "rps", lambda v: f"{v:,.1f}/s"),
        ("every card, one connection", "all_cards_ms", lambda v: f"{v:,.1f} ms"),
        ("every card, 6 connections", "all_cards_parallel_ms", lambda v: f"{v:,.1f} ms"),
        ("every card, right after a move", "all_cards_after_move_ms",
         lambda v: f"{v:,.1f} ms"),
        ("move, median", "move_ms", lambda v: f"{v:,.1f} ms"),
        ("board page, server CPU", "board_cpu_ms", lambda v: f"{v:,.1f} ms"),
        ("board revalidated, server CPU", "board_revalidated_cpu_ms", lambda v: f"{v:,.1f} ms"),
        ("board after a move, server CPU", "board_after_move_cpu_ms", lambda v: f"{v:,.1f} ms"),
        ("every card, server CPU", "all_cards_cpu_ms", lambda v: f"{v:,.1f} ms"),
        ("every card after a move, server CPU", "all_cards_after_move_cpu_ms",
         lambda v: f"{v:,.1f} ms"),
        ("move, server CPU (all it causes)", "move_cpu_ms", lambda v: f"{v:,.1f} ms"),
        ("board page, bytes", "board_bytes", human_bytes),
        ("board revalidated, bytes", "board_revalidated_bytes", human_bytes),
        ("every card, bytes", "all_cards_bytes", human_bytes),
        ("move answer, bytes", "move_bytes", human_bytes),
    ]
    print(f"\n{size:,} active cards — median of {r['rounds']} interleaved rounds "
          f"(ratio = Incubateur / Kanboard)")
    print(f"  {'':<38}{'Incubateur':>12}{'Kanboard':>12}{'ratio':>9}   target")
    for label, key, show in rows:
        if key not in r["ratio"]:
            continue
        target = target_of(key, size)
        wanted = (f"{'≤' if target[1] == 'max' else '≥'} {target[0]:g}  {r['verdict'][key]}"
                  if target else "")
        if target and key in CPU_OF:  # the latency target, as an estimate at an idle machine
            wanted = f"({wanted})"
        ratio = r["ratio"][key]
        print(f"  {label:<38}{show(ours[key]):>12}{show(theirs[key]):>12}"
              f"{'—' if ratio is None else f'{ratio:.3f}':>9}   {wanted}".rstrip())
    print(f"  every card: Incubateur {ours['all_cards_requests']:.0f} requests, "
          f"{ours['all_cards_count']:,.0f} cards; Kanboard 1 request, "
          f"{theirs['all_cards_count']:,.0f} cards")
    print(f"  requests/s by {ours['rps_tool']}; errors: Incubateur {ours['rps_errors']}, "
          f"Kanboard {theirs['rps_errors']}")


def project_map(value: str) -> dict[int, int]:
    """``100=1,1000=2`` → {100: 1, 1000: 2} (cards → Kanboard project id)."""
    pairs = {}
    for item in filter(None, (v.strip() for v in value.split(","))):
        size, _, project = item.partition("=")
        if not project:
            raise ValueError(item)
        pairs[int(size.replace("_", ""))] = int(project)
    return pairs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kanboard-url", default="http://127.0.0.1:18580")
    parser.add_argument("--kanboard-cookie", default="",
                        help="Kanboard's session cookie, e.g. 'KB_SID=…'")
    parser.add_argument("--kanboard-user", help="or log in with this user and password")
    parser.add_argument("--kanboard-password")
    parser.add_argument("--kanboard-project", type=project_map, required=True,
                        help="cards=project id pairs, e.g. 100=1,1000=2: the sizes measured")
    parser.add_argument("--kanboard-pidfile", action="append", default=[],
                        help="pid file of a Kanboard server process (php-fpm's master, "
                        "nginx's; repeat): its CPU time and its children's are counted")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--board-requests", type=int, default=10, help="per round and side")
    parser.add_argument("--moves", type=int, default=10, help="per round and side")
    parser.add_argument("--seconds", type=int, default=3,
                        help="length of each requests-per-second run (whole seconds)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--after-move", type=int, default=5,
                        help="per round and side: (move, board page) and (move, every card) "
                        "pairs, the board read right after a write (0: none)")
    parser.add_argument("--json", action="store_true", help="one JSON object per size per line")
    parser.add_argument("--port", type=int, default=0,
                        help="TCP port for Incubateur's gunicorn (default: any free one), "
                        "on a machine where each user has its own ports")
    args = parser.parse_args(argv)
    if not args.kanboard_cookie and not (args.kanboard_user and args.kanboard_password):
        parser.error("give --kanboard-cookie, or --kanboard-user and --kanboard-password")
    return args


def main(argv: list[str] | None = None) -> int:
    """Measure every size asked for and print a table (or JSON lines) per size."""
    args = parse_args(argv)

    def progress(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    if not args.json:
        print_machine()
        print(f"Incubateur: gunicorn, {WORKERS} sync workers (gunicorn.conf.py); "
              f"Kanboard at {args.kanboard_url}")
    site = Site(args.kanboard_url, args.kanboard_cookie)
    if not args.kanboard_cookie:
        kanboard_log_in(site, args.kanboard_user, args.kanboard_password)
    with tempfile.TemporaryDirectory(prefix="incubator-compare-") as workdir:
        for size, project_id in sorted(args.kanboard_project.items()):
            kanboard = Kanboard(site, project_id, random.Random(size + 1),
                                read_pids(args.kanboard_pidfile))
            if kanboard.tasks != size:
                progress(f"Note: Kanboard's project {project_id} shows {kanboard.tasks} tasks, "
                         f"compared with {size} cards")
            progress(f"{size:,} cards: seeding Incubateur "
                     f"({database_version(database_url(Path(workdir) / 'x.db'))})…")
            incubateur = Incubateur(size, Path(workdir), random.Random(size), args.port)
            try:
                rounds = interleave(incubateur, kanboard, args, progress)
            finally:
                incubateur.stop()
            result = summarise(size, rounds) | {"load": os.getloadavg()[0]}
            if args.json:
                print(json.dumps(result), flush=True)
            else:
                print_result(result, args.connections)
                print(f"  load average at the end: {result['load']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
