"""What every request pays outside its own work: server CPU and SQL statements per request.

Builds a board of N active projects (``bench/board.py``'s seed: SQLite in a temporary file,
or the PostgreSQL database named by ``INCUBATOR_DATABASE_URL``, emptied first), logs an
advisor in through the form, then asks each URL of ``--urls`` in turn for ``--rounds``
rounds of ``--requests`` requests through Flask's test client (routing, session, CSRF,
rate limiter, hooks, templates and SQL all count; the test client's own work is outside the
measured span). For each request it keeps the thread CPU time (``time.thread_time``, which a
busy machine inflates far less than wall time) and the SQL statements sent.

With ``--baseline PATH`` (another checkout of the project, e.g. ``git archive`` of an older
commit) the same measurement runs in a second process on that code, interleaved round by
round with this one, and the ratios are printed: both sides see the same machine load.
``--baseline-database-url`` gives that side its own PostgreSQL database.

The rate limiter is on (as in production; ``memory://`` storage), unlike bench/board.py.

    .venv/bin/python bench/request_cost.py
    .venv/bin/python bench/request_cost.py --baseline /tmp/old --urls /healthz,/board
    INCUBATOR_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/a \\
        .venv/bin/python bench/request_cost.py --baseline /tmp/old \\
        --baseline-database-url postgresql+psycopg://root@127.0.0.1:5432/b

See docs/performance.md, "Per-request costs".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# An URL prefixed "hx:" is asked as htmx asks (HX-Request: true).
URLS = ("/healthz", "hx:/notifications/bell?shown=0", "hx:/board/changes", "/account/sessions",
        "/board")


def serve(projects: int) -> None:
    """The measuring side: seed, log in, then answer one JSON line per command line
    (``{"url": …, "requests": n}``) with the CPU times (ms) and statement counts."""
    import random
    import tempfile

    from sqlalchemy import event

    from bench.board import log_in, seed
    from bench.common import bench_config, database_url, empty_database
    from incubator import create_app
    from incubator.extensions import db

    config = bench_config(database_url(Path(tempfile.mkdtemp()) / "request_cost.db"))
    config["RATELIMIT_ENABLED"] = True
    app = create_app(config)
    empty_database(app)
    seed(app, projects, random.Random(15))
    client = app.test_client()
    log_in(client)
    with app.app_context():
        engine = db.engine
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    spans: list[float] = []
    wsgi_app = app.wsgi_app

    def measured(environ, start_response):  # the app's whole span, client excluded
        started = time.thread_time()
        try:
            return wsgi_app(environ, start_response)
        finally:
            spans.append((time.thread_time() - started) * 1000)

    app.wsgi_app = measured
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        url = command["url"]
        headers = {"HX-Request": "true"} if url.startswith("hx:") else {}
        path = url.removeprefix("hx:")
        cpu, sql, statuses = [], [], set()
        for _ in range(command["requests"]):
            before = statements[0]
            del spans[:]
            response = client.get(path, headers=headers)
            statuses.add(response.status_code)
            cpu.append(sum(spans))
            sql.append(statements[0] - before)
        print(json.dumps({"cpu": cpu, "sql": sql, "statuses": sorted(statuses)}), flush=True)


class Side:
    """One measuring process, on the code under ``root``."""

    def __init__(self, root: Path, projects: int, database: str | None) -> None:
        env = dict(os.environ, PYTHONPATH=str(root))
        if database:
            env["INCUBATOR_DATABASE_URL"] = database
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve()), "--serve", "--projects",
             str(projects)],
            cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()

    def _read(self) -> dict:
        while line := self.process.stdout.readline():
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError("the measuring process ended")

    def ask(self, url: str, requests: int) -> dict:
        self.process.stdin.write(json.dumps({"url": url, "requests": requests}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--urls", default=",".join(URLS))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=10, help="per URL, round and side")
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument("--baseline-database-url")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        sys.path.insert(0, os.getcwd())  # bench.common and bench.board of this side's code
        serve(args.projects)
        return
    root = Path(__file__).resolve().parent.parent
    sides = {"this": Side(root, args.projects, os.environ.get("INCUBATOR_DATABASE_URL"))}
    if args.baseline:
        sides["baseline"] = Side(args.baseline.resolve(), args.projects,
                                 args.baseline_database_url)
    urls = [u for u in args.urls.split(",") if u]
    results = {name: {url: {"cpu": [], "sql": [], "statuses": set()} for url in urls}
               for name in sides}
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for url in urls:
            for name, side in sides.items():  # interleaved: both sides see the same load
                answer = side.ask(url, args.requests)
                kept = results[name][url]
                kept["cpu"] += answer["cpu"]
                kept["sql"] += answer["sql"]
                kept["statuses"].update(answer["statuses"])
    load.append(os.getloadavg()[0])
    for side in sides.values():
        side.close()
    summary = {name: {url: {"cpu_ms_median": statistics.median(v["cpu"]),
                            "sql_median": statistics.median(v["sql"]),
                            "sql_max": max(v["sql"]), "statuses": sorted(v["statuses"])}
                      for url, v in by_url.items()}
               for name, by_url in results.items()}
    if args.json:
        print(json.dumps({"projects": args.projects, "load": load, **summary}))
        return
    print(f"{args.projects} projects, {args.rounds} rounds x {args.requests} requests per URL "
          f"and side; load average {load[0]:.1f} -> {load[1]:.1f}")
    for url in urls:
        this = summary["this"][url]
        line = (f"{url:34s} this: {this['cpu_ms_median']:6.2f} ms CPU, "
                f"{this['sql_median']:g} statements (max {this['sql_max']})")
        if "baseline" in summary:
            base = summary["baseline"][url]
            line += (f" | baseline: {base['cpu_ms_median']:6.2f} ms, {base['sql_median']:g} "
                     f"(max {base['sql_max']}) | ratio "
                     f"{this['cpu_ms_median'] / base['cpu_ms_median']:.2f}")
        print(line + f"  {this['statuses']}")


if __name__ == "__main__":
    main()
