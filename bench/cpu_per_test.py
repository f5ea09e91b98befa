"""CPU seconds of each test, the browser's included: a pytest plugin, and a summary of what
it wrote.

Wall times mean little on the shared 2-core machine (load 8 to 30), and a browser test's
work is mostly Chromium's, in other processes. At each test's start and end (set-up and
teardown included) the plugin reads the CPU time of the pytest process and of every process
below it (Playwright's node driver, Chromium and its renderers) from ``/proc/<pid>/stat``
(user + system, and those of their finished children), and appends one JSON line per test:
``{"id", "cpu", "py", "wall", "w"}`` — ``cpu`` the whole tree's CPU seconds, ``py`` the pytest
process's own, ``wall`` seconds, ``w`` the xdist worker (lines with ``w`` null under
``-n`` are the controller's and are skipped by the summary)::

    PYTHONPATH=. TEST_CPU_OUT=/tmp/cpu.jsonl .venv/bin/python -m pytest -p bench.cpu_per_test \\
        tests/browser/test_focus.py
    .venv/bin/python bench/cpu_per_test.py /tmp/cpu.jsonl            # seconds per file
    .venv/bin/python bench/cpu_per_test.py /tmp/cpu.jsonl --tests 20  # and the 20 costliest tests

The first test of a process also pays for launching the browser and for what the process
builds once (templates, the hostile data set). A process that vanished between the two
readings without being waited for is lost, so a figure can come out low (or negative, for
the last test of a session, whose browser is closed while it ends).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict

TICK = os.sysconf("SC_CLK_TCK")
OUT = os.environ.get("TEST_CPU_OUT", "test_cpu.jsonl")
_started: dict[str, tuple[float, float, float]] = {}


def tree_cpu() -> tuple[float, float]:
    """(CPU seconds of this process and every descendant, of this process alone)."""
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        parents[int(name)] = int(fields[1])
        used[int(name)] = sum(int(value) for value in fields[11:15])  # utime stime cu cs
    children: dict[int, list[int]] = defaultdict(list)
    for pid, parent in parents.items():
        children[parent].append(pid)
    me = os.getpid()
    ticks, stack = 0, list(children[me])
    while stack:
        pid = stack.pop()
        ticks += used.get(pid, 0)
        stack.extend(children[pid])
    own = os.times()
    mine = own.user + own.system
    return ticks / TICK + mine + own.children_user + own.children_system, mine


def pytest_runtest_logstart(nodeid, location) -> None:
    _started[nodeid] = (*tree_cpu(), time.monotonic())


def pytest_runtest_logfinish(nodeid, location) -> None:
    cpu, mine, wall = _started.pop(nodeid)
    cpu_now, mine_now = tree_cpu()
    with open(OUT, "a", encoding="utf-8") as out:
        out.write(json.dumps({"id": nodeid, "cpu": round(cpu_now - cpu, 3),
                              "py": round(mine_now - mine, 3),
                              "wall": round(time.monotonic() - wall, 3),
                              "w": os.environ.get("PYTEST_XDIST_WORKER")}) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the JSON lines the plugin wrote")
    parser.add_argument("--tests", type=int, default=0, help="also list the N costliest tests")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in open(args.file, encoding="utf-8")]
    workers = any(row["w"] for row in rows)
    rows = [row for row in rows if row["w"] or not workers]
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for row in rows:
        total = files[row["id"].split("::")[0]]
        total[0] += max(row["cpu"], 0.0)
        total[1] += row.get("py", 0.0)
        total[2] += 1
    print(f"{'CPU s':>8} {'pytest s':>8} {'tests':>5}  file")
    for name, (cpu, py, count) in sorted(files.items(), key=lambda item: -item[1][0]):
        print(f"{cpu:8.1f} {py:8.1f} {count:5d}  {name}")
    print(f"{sum(f[0] for f in files.values()):8.1f} {sum(f[1] for f in files.values()):8.1f}"
          f" {len(rows):5d}  in all")
    for row in sorted(rows, key=lambda row: -row["cpu"])[:args.tests]:
        print(f"{row['cpu']:8.1f} {row.get('py', 0.0):8.1f} {row['w'] or '':>5}  {row['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
