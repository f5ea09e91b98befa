"""The board with its filters at the regional scale of issue 15: 10,000 active projects,
100,000 stage moves, 100 staff (1 manager, 99 advisors), PostgreSQL.

Seeds with ``bench/pipeline.py``'s bulk loader (Core ``executemany``: projects over three
years, pauses, closings, supports, time entries, cohorts…) with 99 advisors: exactly
``--active`` projects active at the end (55 % of all, so 18,182 projects for 10,000) and
``--moves`` stage moves in all (``pipeline.regional_plan``). Gives the first advisor a
password, then, logged in through the real form, measures through the WSGI stack (Flask's
test client) the median and p90 time and the SQL statements of ``GET /board`` with each
filter of the filter form, as the manager and as that advisor ("mine"). Target (issue 15):
each ≤ 50 ms median. With ``--pipeline``, the managers' review pages of
``bench/pipeline.py`` too, on the same data (target ≤ 250 ms median, issue 12)::

    INCUBATOR_DATABASE_URL=postgresql+psycopg://root@127.0.0.1/bench \\
        .venv/bin/python bench/regional.py [--active 10000] [--moves 100000] [--requests 20] \\
        [--reuse] [--pipeline] [--json]

Without ``INCUBATOR_DATABASE_URL`` it runs on a temporary SQLite file. See
docs/performance.md ("Regional scale").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update  # noqa: E402

import bench.pipeline as loader  # noqa: E402
from bench.common import (  # noqa: E402
    CSRF_INPUT,
    PASSWORD,
    bench_config,
    database_url,
    database_version,
    empty_database,
)
from incubator import create_app  # noqa: E402
from incubator.extensions import db  # noqa: E402
from incubator.models import (  # noqa: E402
    CohortProject,
    Mentorship,
    Project,
    Role,
    Theme,
    User,
)
from incubator.passwords import hash_password  # noqa: E402

STAFF = 100
TARGET_MS = 50.0


def log_in(client, email: str) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post("/auth/login", data={
        "email": email, "password": PASSWORD, "csrf_token": CSRF_INPUT.search(page).group(1)})
    if response.status_code != 303:
        raise RuntimeError(f"login of {email} failed: {response.status_code}")


def filters(app) -> list[tuple[str, str, str]]:
    """(label, who, URL) of each board measured; who is "manager" or "advisor"."""
    with app.app_context():
        advisor = db.session.scalar(select(User.id).where(User.role == Role.ADVISOR.value)
                                    .order_by(User.id))
        theme = db.session.scalar(select(Theme.id).order_by(Theme.id))
        commune = db.session.scalar(select(Project.commune).group_by(Project.commune)
                                    .order_by(func.count().desc()).limit(1))
        mentor = db.session.scalar(select(Mentorship.organisation_id)
                                   .group_by(Mentorship.organisation_id)
                                   .order_by(func.count().desc()).limit(1))
        cohort = db.session.scalar(select(CohortProject.cohort_id)
                                   .where(CohortProject.left_at.is_(None))
                                   .group_by(CohortProject.cohort_id)
                                   .order_by(func.count().desc()).limit(1))
    return [
        ("board, no filter", "manager", "/board"),
        ("advisor", "manager", f"/board?advisor={advisor}"),
        ("theme", "manager", f"/board?theme={theme}"),
        ("commune", "manager", f"/board?commune={commune}"),
        ("search text (common)", "manager", "/board?q=epicerie"),
        ("search text (rare)", "manager", "/board?q=projet%20n%C2%B0%204242"),
        ("holder name", "manager", "/board?q=martin"),
        ("mentor", "manager", f"/board?mentor={mentor}"),
        ("cohort", "manager", f"/board?cohort={cohort}"),
        ("advisor + theme + commune", "manager",
         f"/board?advisor={advisor}&theme={theme}&commune={commune}"),
        ("board, no filter (advisor)", "advisor", "/board"),
        ("mine", "advisor", "/board?mine=1"),
        ("mine + search", "advisor", "/board?mine=1&q=epicerie"),
    ]


#: How a board is asked (``--modes``): ``hit``, the same page again (board/pages.py's cache
#: answers after the warm-ups); ``miss``, the page with that cache emptied before each
#: request (a filter asked for the first time since the last write; the filter lists stay
#: as kept); ``htmx``, the htmx fragment a filter change asks for, missed the same way
#: (what a manager changing filters with JavaScript waits for).
MODES = ("hit", "miss", "htmx")


def measure(app, client, page: str, requests: int,
            headers: dict[str, str] | None = None, *, miss: bool = False) -> dict[str, Any]:
    """``page`` ``requests`` times after 2 warm-ups: wall time, this thread's CPU time (the
    app's Python work, which the machine's load does not inflate as much), the time spent
    in the database driver's execute (SQL round trips and server work), statements, size.
    ``miss``: the board's page cache is emptied before each request (not timed)."""
    import statistics

    from sqlalchemy import event

    from bench.common import percentile
    from incubator.board import pages

    sql: list[float] = []

    def before(conn, *_args):
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, *_args):
        sql.append(time.perf_counter() - conn.info.pop("bench_t0"))

    with app.app_context():
        engine = db.engine
    for _ in range(2):
        client.get(page, headers=headers)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    walls, cpus, sqls, counts, size = [], [], [], [], 0
    try:
        for _ in range(requests):
            sql.clear()
            if miss:
                pages.clear()
            wall, cpu = time.perf_counter(), time.thread_time()
            response = client.get(page, headers=headers)
            cpus.append((time.thread_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {page} answered {response.status_code}")
            sqls.append(sum(sql) * 1000)
            counts.append(len(sql))
            size = len(response.data)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return {"ms_median": statistics.median(walls), "ms_p90": percentile(walls, 0.90),
            "cpu_ms_median": statistics.median(cpus), "sql_ms_median": statistics.median(sqls),
            "sql": int(statistics.median(counts)), "bytes": size}


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-regional-"))
    url = database_url(workdir / "regional.db")
    config = bench_config(url)
    # As in production (the tests' settings read the filter lists on every page).
    config["BOARD_FILTER_CHOICES_SECONDS"] = args.choices_seconds
    app = create_app(config)
    # The review's export writes a security log line to stderr; keep the output to the figures.
    logging.getLogger("incubator.security").setLevel(logging.WARNING)
    loader.ADVISORS = STAFF - 1  # _users reads it: 1 manager + 99 advisors
    start = time.perf_counter()
    if args.reuse:
        counts = {"reused": True}
    else:
        empty_database(app)
        counts = loader.seed(app, 0, random.Random(args.active), active=args.active,
                             moves=args.moves, cohorts=True)
    with app.app_context():
        advisor_email = db.session.scalar(select(User.email).where(
            User.role == Role.ADVISOR.value).order_by(User.id))
        # Every advisor has accepted the invitation (a password): the staff the advisor
        # filter lists (reference.staff_members) are the 100.
        db.session.execute(update(User).where(User.role == Role.ADVISOR.value)
                           .values(password_hash=hash_password(PASSWORD)))
        db.session.commit()
        active = db.session.scalar(select(func.count()).select_from(Project).where(
            Project.status == "active"))
    result: dict[str, Any] = {"active": active,
                              "database": database_version(url),
                              "build_s": time.perf_counter() - start, "rows": counts,
                              "load": os.getloadavg()[0], "boards": {}, "pipeline": {}}
    clients = {}
    for who, email in (("manager", loader.MANAGER_EMAIL), ("advisor", advisor_email)):
        clients[who] = app.test_client()
        clients[who].environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
        log_in(clients[who], email)
    try:
        for label, who, page in filters(app):
            for mode in args.modes:
                result["boards"][f"{label} [{mode}]"] = {"url": page, "as": who} | measure(
                    app, clients[who], page, args.requests,
                    {"HX-Request": "true"} if mode == "htmx" else None, miss=mode != "hit")
        if args.pipeline:
            with app.app_context():
                advisor_id = db.session.scalar(select(User.id).where(User.email == advisor_email))
            for label, page, headers in loader.pages(datetime.now(UTC).year, advisor_id):
                result["pipeline"][label] = {"url": page, "as": "manager"} | measure(
                    app, clients["manager"], page, args.requests, headers)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    result["load_after"] = os.getloadavg()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--active", type=int, default=10_000,
                        help="active projects at the end (10000)")
    parser.add_argument("--moves", type=int, default=100_000,
                        help="stage moves in all (100000)")
    parser.add_argument("--requests", type=int, default=20, help="requests per board (20)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database as a previous run left it (no seeding)")
    parser.add_argument("--choices-seconds", type=int, default=60,
                        help="BOARD_FILTER_CHOICES_SECONDS (60, production's; 0: no cache)")
    parser.add_argument("--modes", type=lambda v: [m for m in v.split(",") if m in MODES],
                        default=list(MODES),
                        help="hit: the page cached; miss: the page rendered; htmx: the "
                             "fragment rendered (default: hit,miss,htmx)")
    parser.add_argument("--pipeline", action="store_true",
                        help="measure the managers' review pages too (target 250 ms)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, default=str))
        return 0
    print(f"{result['database']}: {result['active']} active projects, "
          f"rows {result['rows']}, built in {result['build_s']:.0f} s; "
          f"filter lists kept {args.choices_seconds} s; "
          f"load {result['load']:.1f} → {result['load_after']:.1f}")
    print("ms, medians; CPU: this thread's; SQL: inside the driver's execute (wall)")
    print(f"{'board':37} {'as':8} {'wall':>7} {'p90':>7} {'CPU':>6} {'SQL ms':>7} {'SQL':>4}"
          f" {'KB':>5}")
    for label, r in result["boards"].items():
        mark = "PASS" if r["ms_median"] <= TARGET_MS else "MISS"
        print(f"{label:37} {r['as']:8} {r['ms_median']:7.1f} {r['ms_p90']:7.1f} "
              f"{r['cpu_ms_median']:6.1f} {r['sql_ms_median']:7.1f} {r['sql']:4d} "
              f"{r['bytes'] / 1024:5.0f}  {mark}")
    for label, r in result["pipeline"].items():
        mark = "PASS" if r["ms_median"] <= loader.TARGET_MS else "MISS"
        print(f"{label:30} {r['as']:8} {r['ms_median']:7.1f} {r['ms_p90']:7.1f} "
              f"{r['cpu_ms_median']:6.1f} {r['sql_ms_median']:7.1f} {r['sql']:4d} "
              f"{r['bytes'] / 1024:5.0f}  {mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
