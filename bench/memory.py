"""Memory per gunicorn worker after logins, and the time of a login, with the argon2
parameters of the configuration (or those given on the command line).

Starts the README's set-up (``gunicorn -w 2 'incubator:create_app()'`` with gunicorn.conf.py)
on a fresh SQLite file holding one advisor, logs in ``--logins`` times through the real form
(each login verifies the password with argon2id; the first one also rehashes a hash made with
the old parameters), and prints each worker's resident set size (``VmRSS``) and its peak
(``VmHWM``) from ``/proc/<pid>/status`` before and after, in MiB, the login times, and the CPU
time the workers spent per login (``/proc/<pid>/stat``: what a login costs on a quiet
machine, whatever the load while measuring)::

    .venv/bin/python bench/memory.py                      # the configured defaults
    .venv/bin/python bench/memory.py --memory-cost 65536 --time-cost 3 --parallelism 4
    .venv/bin/python bench/memory.py --json

Target (issue 15): peak RSS per worker ≤ 100 MB after logins; a login under 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from argon2 import PasswordHasher, Type

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.board import _request  # noqa: E402
from bench.common import (  # noqa: E402
    CSRF_INPUT,
    PASSWORD,
    SECRET_KEY,
    database_url,
    process_children,
    process_memory,
    process_tree_cpu,
    serve,
)
from incubator import config as settings  # noqa: E402
from incubator import create_app  # noqa: E402
from incubator.extensions import db  # noqa: E402
from incubator.models import Role, User  # noqa: E402
from incubator.reference import seed_reference_data  # noqa: E402

EMAIL = "advisor@bench.example.org"
OLD_PARAMETERS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}  # before issue 15
TARGET_MB, TARGET_LOGIN_S = 100.0, 0.3


def seed(url: str, old_hash: bool) -> None:
    """The schema, the reference data and one advisor whose hash uses the old parameters
    (``old_hash``: the first login then verifies at 64 MiB and rehashes) or the new ones."""
    config = settings.for_tests(url)
    config["SECRET_KEY"] = SECRET_KEY
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_reference_data(db.session)
        if old_hash:
            stored = PasswordHasher(type=Type.ID, **OLD_PARAMETERS).hash(PASSWORD)
        else:
            production = settings.from_environment(Path(tempfile.gettempdir()), with_secret_key=False)
            stored = PasswordHasher(
                type=Type.ID, time_cost=production["ARGON2_TIME_COST"],
                memory_cost=production["ARGON2_MEMORY_COST"],
                parallelism=production["ARGON2_PARALLELISM"]).hash(PASSWORD)
        db.session.add(User(email=EMAIL, name="Anne Le Goff", role=Role.ADVISOR.value,
                            password_hash=stored))
        db.session.commit()
        db.engine.dispose()


def log_in(port: int) -> tuple[int, float]:
    jar: dict[str, str] = {}
    _status, page = _request(port, "GET", "/auth/login", jar)
    start = time.perf_counter()
    status, _ = _request(port, "POST", "/auth/login", jar, {
        "email": EMAIL, "password": PASSWORD, "csrf_token": CSRF_INPUT.search(page).group(1)})
    return status, time.perf_counter() - start


def run(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    url = database_url(workdir / "memory.db")
    env = {"INCUBATOR_DATABASE_URL": url}  # over os.environ (common.serve)
    for name in ("time_cost", "memory_cost", "parallelism"):
        value = getattr(args, name)
        if value is not None:
            env[f"INCUBATOR_ARGON2_{name.upper()}"] = str(value)
    os.environ.update({k: v for k, v in env.items() if k.startswith("INCUBATOR_ARGON2_")})
    seed(url, old_hash=not args.new_hash)
    # The README's command line, as common.serve runs it (the production check's trial
    # settings: plain HTTP, the bench's key, no login limits).
    with serve(env, workers=2) as server:
        port = server.port
        for _ in range(4):  # both workers have served a page (templates compiled)
            _request(port, "GET", "/auth/login", {})
        pids = process_children(server.pid)
        before = {pid: process_memory(pid) for pid in pids}
        # Workers' CPU per login (/proc): unlike wall times, not inflated by other processes.
        cpu_before = process_tree_cpu(pids)
        times, statuses = [], []
        for _ in range(args.logins):
            status, seconds = log_in(port)
            statuses.append(status)
            times.append(seconds)
        after = {pid: process_memory(pid) for pid in pids}
        cpu_per_login = (process_tree_cpu(pids) - cpu_before) / args.logins
        tail = server.log_text(1500)
    if any(s != 303 for s in statuses):
        raise RuntimeError(f"logins answered {sorted(set(statuses))}:\n{tail}")
    return {
        "parameters": {k: os.environ.get(f"INCUBATOR_ARGON2_{k.upper()}", "default")
                       for k in ("time_cost", "memory_cost", "parallelism")},
        "logins": args.logins,
        "first_hash": "new parameters" if args.new_hash else "old (64 MiB, t=3, p=4)",
        "login_s_median": statistics.median(times), "login_s_max": max(times),
        "first_login_s": times[0],
        "login_cpu_s": cpu_per_login,
        "workers": [{"pid": pid, "rss_before": before[pid]["VmRSS"],
                     "rss_after": after[pid]["VmRSS"], "peak_after": after[pid]["VmHWM"],
                     "pss_after": after[pid]["Pss"], "uss_after": after[pid]["Uss"]}
                    for pid in pids],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--time-cost", type=int)
    parser.add_argument("--memory-cost", type=int, help="KiB")
    parser.add_argument("--parallelism", type=int)
    parser.add_argument("--new-hash", action="store_true",
                        help="the account's hash already uses the parameters measured")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"argon2id {result['parameters']}; stored hash: {result['first_hash']}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"  login   median {result['login_s_median'] * 1000:.0f} ms, max "
          f"{result['login_s_max'] * 1000:.0f} ms (first {result['first_login_s'] * 1000:.0f} ms)"
          f"  target < {TARGET_LOGIN_S * 1000:.0f} ms")
    print(f"  workers' CPU per login (form page + post) {result['login_cpu_s'] * 1000:.0f} ms")
    worst = 0.0
    for w in result["workers"]:
        worst = max(worst, w["peak_after"] * 1.048576)
        print(f"  worker {w['pid']}: RSS {w['rss_before']:.1f} → {w['rss_after']:.1f} MiB, "
              f"peak {w['peak_after']:.1f} MiB ({w['peak_after'] * 1.048576:.1f} MB); "
              f"after: PSS {w['pss_after']:.1f}, USS {w['uss_after']:.1f} MiB")
    verdict = "PASS" if worst <= TARGET_MB else "MISS"
    print(f"  peak per worker {worst:.1f} MB, target ≤ {TARGET_MB:.0f} MB: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
