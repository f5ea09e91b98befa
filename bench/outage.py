"""PostgreSQL connections killed under gunicorn: what requests get meanwhile, and how long
until they succeed again (issue 15: "after a PostgreSQL restart, requests succeed again
within 5 s without restarting the app").

It does not restart the server (others may share it): it kills every connection the app
holds with ``pg_terminate_backend``, which is what a restart does to them, while a logged-in
client reads the board in a loop. The database named by ``--database`` is emptied (schema
dropped and built again by ``flask setup``): give a scratch one.

    .venv/bin/python bench/outage.py --database postgresql+psycopg://root@127.0.0.1/bench_outage

Prints the statuses seen, the 5xx other than 503, and for each kill the time until the next
200. Timings on a shared machine are noisy; the counts are what matter.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

# Run as a script (``python bench/outage.py``), it finds bench/ from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, serve  # noqa: E402

PASSWORD = "a quiet river under the bridge"  # noqa: S105
EMAIL = "outage@bench.example"


def _reset(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _kill(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    engine.dispose()
    return int(killed or 0)


def _login(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(base + "/auth/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "email": EMAIL,
                                   "password": PASSWORD}).encode()
    opener.open(base + "/auth/login", data=body, timeout=10).read()
    return opener


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a scratch PostgreSQL database URL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument("--log", help="a file for gunicorn's output (the app's log)")
    args = parser.parse_args()

    _reset(args.database)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The caller's own INCUBATOR_ settings are left out (inherit=False below): only these.
    env = {"INCUBATOR_DATABASE_URL": args.database,
           "INCUBATOR_INSTANCE_PATH": str(ROOT / "instance" / "bench-outage"),
           "INCUBATOR_ARGON2_TIME_COST": "1", "INCUBATOR_ARGON2_MEMORY_COST": "1024",
           "INCUBATOR_ARGON2_PARALLELISM": "1", "INCUBATOR_TWO_FACTOR_REQUIRED_ROLES": ""}
    flask_env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")} | env
    bin_dir = Path(sys.executable).parent
    for command in (["setup"], ["create-user", EMAIL, "--role", "advisor",
                                "--password", PASSWORD]):
        subprocess.run([str(bin_dir / "flask"), "--app", "incubator", *command],  # noqa: S603
                       cwd=ROOT,
                       env=flask_env, check=True, capture_output=True, timeout=120)
    log = open(args.log, "wb") if args.log else None  # noqa: SIM115
    try:
        with serve(env, workers=args.workers, port=port, inherit=False, log=log,
                   log_level="info", ready_seconds=120) as _server:
            opener = _login(base)
            seen: list[tuple[float, int]] = []
            stop = threading.Event()

            def read_board() -> None:
                while not stop.is_set():
                    try:
                        status = opener.open(base + "/board", timeout=10).status
                    except urllib.error.HTTPError as error:
                        status = error.code
                    except OSError:
                        status = 0  # no answer at all
                    seen.append((time.monotonic(), status))

            reader = threading.Thread(target=read_board)
            reader.start()
            kills = []
            for _ in range(args.kills):
                time.sleep(args.every)
                kills.append((time.monotonic(), _kill(args.database)))
            time.sleep(args.every)
            stop.set()
            reader.join()
    finally:
        if log is not None:
            log.close()

    statuses = Counter(status for _, status in seen)
    print(f"gunicorn workers: {args.workers}; board requests: {len(seen)}; statuses: "
          f"{dict(sorted(statuses.items()))}")
    print(f"5xx other than 503: {sum(n for s, n in statuses.items() if s >= 500 and s != 503)};"
          f" no answer: {statuses.get(0, 0)}")
    start = seen[0][0] if seen else 0.0
    print("not 200 (seconds from the start: status):",
          ", ".join(f"{t - start:.2f}: {s}" for t, s in seen if s != 200) or "none")
    print("kills at:", ", ".join(f"{at - start:.2f}" for at, _ in kills))
    for at, killed in kills:
        window = [(t, s) for t, s in seen if at < t <= at + args.every]
        failures = [t for t, s in window if s != 200]
        back = next((t for t, s in window if s == 200 and (not failures or t > failures[-1])),
                    None)
        recovery = f"{(back - at) * 1000:.0f} ms" if back is not None else "not within the window"
        print(f"kill of {killed} connections: {len(failures)} request(s) not 200 in the next "
              f"{args.every:g} s; 200 again for good {recovery} after the kill")
    return 0 if all(s in (200, 503) for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
