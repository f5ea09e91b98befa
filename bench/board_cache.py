"""The board's whole-columns cache and 304 (board/pages.py), measured in one interleaved run:
thread CPU (``time.thread_time()`` around the test client's request) and SQL statements per
request, with the cache off (as before), on and warm (a hit), on but empty (a miss: the
first request after a write), and a conditional GET answered 304.

    PYTHONPATH=. .venv/bin/python bench/board_cache.py --projects 100,1000 --rounds 5

Each round asks each variant ``--requests`` times in turn; the medians over all rounds are
printed (ms of thread CPU, statements), with the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.board import SHOW_ALL, log_in, seed  # noqa: E402
from bench.common import bench_config, counting_statements, database_url, empty_database  # noqa: E402
from incubator import create_app  # noqa: E402
from incubator.board import pages  # noqa: E402
from incubator.extensions import db  # noqa: E402

HTMX = {"HX-Request": "true"}


def _every_card(client, headers: dict) -> int:
    """The page, then « Afficher toutes les cartes » (htmx): every card in two requests."""
    html = client.get("/board", headers=headers).get_data(as_text=True)
    link = SHOW_ALL.search(html)
    if link is not None:
        client.get(link.group(1).replace("&amp;", "&"), headers={**HTMX, **headers})
    return 200


def run(projects: int, rounds: int, requests: int, workdir: Path) -> None:
    url = database_url(workdir / f"cache-{projects}.db")
    app = create_app(bench_config(url))
    empty_database(app)
    seed(app, projects, random.Random(projects))
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    log_in(client)
    variants = {
        "off": (0, False, False), "miss": (8192, True, False), "hit": (8192, False, False),
        "304": (8192, False, True),
    }
    measures = [("/board", "page"), ("/board?show=all", "page"), ("every card", "two")]
    cpu: dict[tuple, list[float]] = {}
    sql: dict[tuple, list[int]] = {}
    with counting_statements(app) as statements:
        for _round in range(rounds):
            for address, _kind in measures:
                for name, (size, clear, conditional) in variants.items():
                    if address == "every card" and conditional:
                        continue
                    app.config["BOARD_PAGE_CACHE_KB"] = size
                    headers = {}
                    for _ in range(requests):
                        if clear:
                            pages.clear()
                        if conditional:  # the browser's copy (the part may have expired)
                            headers = {"If-None-Match": client.get(address).headers["ETag"]}
                        before, started = statements[0], time.thread_time()
                        if address == "every card":
                            _every_card(client, headers)
                        else:
                            status = client.get(address, headers=headers).status_code
                            assert status == (304 if conditional else 200), status
                        cpu.setdefault((address, name), []).append(
                            (time.thread_time() - started) * 1000)
                        sql.setdefault((address, name), []).append(statements[0] - before)
    print(f"\n{projects} projects, SQLite, load {os.getloadavg()[0]:.1f}, "
          f"{rounds} rounds x {requests} requests")
    print(f"{'request':<18}" + "".join(f"{name:>16}" for name in variants))
    for address, _kind in measures:
        cells = []
        for name in variants:
            if (address, name) in cpu:
                cells.append(f"{statistics.median(cpu[address, name]):7.1f} ms {int(statistics.median(sql[address, name])):>3}q")
            else:
                cells.append(f"{'-':>16}")
        print(f"{address:<18}" + "".join(f"{c:>16}" for c in cells))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", default="100,1000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for projects in (int(n) for n in args.projects.split(",")):
            run(projects, args.rounds, args.requests, Path(workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
