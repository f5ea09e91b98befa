"""What the benchmark scripts share: the app's settings and an empty schema, the names the
fake data is made of, counting SQL statements, timing requests, percentiles, a description of
the machine and the code measured, gunicorn served as the README does (``serve``), and what
``/proc`` says of its processes (children, memory, CPU time)."""

from __future__ import annotations

import http.client
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import MetaData, create_engine, event, text

from incubator import config as settings
from incubator.extensions import db

ROOT = Path(__file__).resolve().parent.parent

SECRET_KEY = "bench-secret-key-not-for-production"  # noqa: S105


PASSWORD = "a quiet river under the bridge"  # noqa: S105


PROJECT_NAMES = (
    "Épicerie solidaire", "Tiers-lieu", "Garage solidaire", "Recyclerie", "Café associatif",
    "Ferme maraîchère", "Atelier vélo", "Cantine bio", "Habitat partagé", "Ressourcerie",
    "Centrale villageoise", "Conciergerie rurale", "Chantier d'insertion", "Boulangerie paysanne",
)


FIRST_NAMES = ("Anne", "Yann", "Maëlle", "Loïc", "Nolwenn", "Erwan", "Gwenaëlle", "Pierre",
               "Soizic", "Tanguy", "Claire", "Mathis", "Léa", "Ronan", "Jeanne", "Hugo")


LAST_NAMES = ("Le Goff", "Guérin", "Le Roux", "Morvan", "Tanguy", "Le Gall", "Jégou", "Perrot",
              "Hamon", "Rivière", "Lemoine", "Caradec", "Bouvier", "Le Bihan", "Thébault")


# Settings the tests change to see every read, which a benchmark keeps as production has them.
PRODUCTION_CACHES = ("BOARD_CARD_CACHE", "BOARD_PAGE_CACHE_KB", "BOARD_CACHE_SECONDS",
                     "BOARD_FILTER_CHOICES_SECONDS")


def bench_config(database_url: str) -> dict[str, Any]:
    """The test settings (cheap password hashing, no mail server), but run as in production:
    not TESTING, mail left to the worker (not inline), the production caches' settings
    (the tests turn the filter lists' and readiness caches off), and no throttling."""
    config = settings.for_tests(database_url)
    production = settings.from_environment(Path(tempfile.gettempdir()), with_secret_key=False)
    config.update({name: production[name] for name in PRODUCTION_CACHES})
    config.pop("READY_CACHE_SECONDS", None)  # the route's own default (1 s)
    config.update({
        "TESTING": False,
        "SECRET_KEY": SECRET_KEY,
        "WORKER_INLINE": False,  # as in production: the worker sends, not the request
        "RATELIMIT_ENABLED": False,
        "EXTRA_TRUSTED_HOSTS": ["127.0.0.1"],  # gunicorn is asked at 127.0.0.1:port
    })
    return config


def empty_database(app: Flask) -> None:
    """Drop every table (alembic_version and strays included), create the schema and stamp
    it with the migrations' head (so ``flask db upgrade`` applies a later migration to a
    copy of a benchmark's database, e.g. ``bench/regional.py``'s)."""
    from flask_migrate import stamp  # Alembic: only where a schema is made

    with app.app_context():
        existing = MetaData()
        existing.reflect(bind=db.engine)
        existing.drop_all(bind=db.engine)
        db.create_all()
        stamp(directory=app.extensions["migrate"].directory)


def database_version(url: str) -> str:
    """``SQLite 3.x`` or ``PostgreSQL 15.x`` for the database at ``url``."""
    if not url.startswith("postgresql"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.scalar(text("SHOW server_version"))
    finally:
        engine.dispose()
    return f"PostgreSQL {str(version).split()[0]}"


@contextmanager
def counting_statements(app: Flask):
    """Count the SQL statements the app sends (``before_cursor_execute``) from this thread,
    where the test client runs each request and the bench runs the worker's drain
    (``worker.run_pending``); yields a list whose first item is the running count."""
    with app.app_context():
        engine = db.engine
    count, owner = [0], threading.get_ident()

    def record(*_args) -> None:
        if threading.get_ident() == owner:
            count[0] += 1

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", record)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def timed(call: Callable[..., Any], *args, **kwargs) -> tuple[Any, float]:
    """Run ``call(*args, **kwargs)``; return its result and the time it took in ms."""
    start = time.perf_counter()
    result = call(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def database_url(sqlite_file: Path) -> str:
    """``INCUBATOR_DATABASE_URL`` when set (PostgreSQL), else a SQLite file."""
    return os.environ.get("INCUBATOR_DATABASE_URL") or f"sqlite:///{sqlite_file}"


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def code_version() -> str:
    """The commit measured (``git describe``), or "unknown" outside a git checkout."""
    try:
        described = subprocess.run(  # noqa: S603
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],  # noqa: S607
            capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return described.stdout.strip() or "unknown"


def print_machine() -> None:
    """CPU, cores, memory, Python, database and code versions, and how busy the machine is."""
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores{memory}")
    print(f"Python {platform.python_version()}, "
          f"{database_version(database_url(Path('unused.db')))}, code {code_version()}")
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"Note: load average {load:.2f} before starting: other processes share the CPU, "
              "the figures may be inflated.")


def sizes(value: str) -> list[int]:
    """A ``--projects``-like option: comma-separated whole numbers, ``_`` allowed
    ("1000,10_000" → [1000, 10000]); argparse turns a ValueError into a usage error."""
    return [int(v.replace("_", "")) for v in value.split(",") if v.strip()]


# --- gunicorn as the README runs it -----------------------------------------------------------


def free_port(share: int = 0, shares: int = 1) -> int:
    """A local TCP port nobody listens on: the first free one of ``BENCH_PORTS``
    (``18720-18739``: a range given to this run on a shared machine) when set, else one the
    kernel picks. ``share`` of ``shares``: only the range's ports LOW+share, LOW+share+shares…
    (processes started together each take their own share: none picks a port another has
    found free but not bound yet). Raises RuntimeError when none of them is free."""
    wanted = os.environ.get("BENCH_PORTS", "").strip()
    if wanted:
        low, _, high = wanted.partition("-")
        for port in range(int(low) + share % shares, int(high or low) + 1, shares):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError(f"no free port in BENCH_PORTS={wanted}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A gunicorn started by ``serve``: its master process, port, base URL and log file."""

    process: subprocess.Popen
    port: int
    log: Any  # a binary file holding gunicorn's stdout and stderr

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self, last: int = 3000) -> str:
        """The end of gunicorn's output (``last`` characters)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-last:]

    def wait_ready(self, seconds: float = 180.0) -> None:
        """Wait until ``/healthz`` answers 200 (liveness: a worker is serving; no database
        needed); at most ``seconds`` (a busy machine boots slowly). Raises RuntimeError with
        the end of gunicorn's log if it exits or does not answer in time."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start:\n" + self.log_text())


@contextmanager
def serve(env: Mapping[str, str] | None = None, workers: int = 2, port: int | None = None,
          app: str = "incubator:create_app()", *, inherit: bool = True, wait: bool = True,
          log: Any = None, log_level: str = "warning",
          ready_seconds: float = 180.0) -> Iterator[Server]:
    """Run gunicorn as the README does (from the repository root, so ``gunicorn.conf.py``
    applies and the production check runs) and stop it on leaving.

    The settings are the production check's trial ones (``config.production_problems``):
    ``INCUBATOR_ALLOW_HTTP=1`` (no TLS on one machine), the base URL of the port served, a
    secret key of 32+ characters (the benches' ``SECRET_KEY``, so a cookie made in the
    bench's process works in the workers) and ``INCUBATOR_RATELIMIT_ENABLED=0`` unless
    ``env`` names a limits store (Redis); ``env`` (``INCUBATOR_…`` variables) overrides them.
    ``inherit=False`` drops the caller's own ``INCUBATOR_…`` variables. No control socket
    (shared machine); gunicorn's ``log_level`` (warning). ``port`` defaults to
    ``free_port()``; ``log`` is a binary file for gunicorn's output (a temporary one by
    default). ``wait=False`` yields at once (the caller calls ``server.wait_ready()`` later,
    e.g. after seeding the database). Raises RuntimeError if gunicorn does not get ready.

    gunicorn runs in its own process group: on leaving, SIGTERM to the group, then SIGKILL
    to what is left after 15 s, so no worker outlives the bench (not even one the master
    lost track of)."""
    port = port or free_port()
    variables = {k: v for k, v in os.environ.items() if inherit or not k.startswith("INCUBATOR_")}
    variables.update({"INCUBATOR_BASE_URL": f"http://127.0.0.1:{port}",
                      "INCUBATOR_ALLOW_HTTP": "1", "INCUBATOR_SECRET_KEY": SECRET_KEY})
    env = dict(env or {})
    if "INCUBATOR_RATELIMIT_STORAGE_URI" not in env:
        variables["INCUBATOR_RATELIMIT_ENABLED"] = "0"
    variables.update(env)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    command += ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--no-control-socket",
                "--log-level", log_level, app]
    output = log if log is not None else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=variables,  # noqa: S603
                               stdout=output, stderr=output, start_new_session=True)
    server = Server(process, port, output)
    try:
        if wait:
            server.wait_ready(ready_seconds)
        yield server
    finally:
        _stop_group(process)
        if log is None:
            output.close()


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group led by ``process`` (gunicorn's graceful stop), then,
    after at most 15 s, SIGKILL to whatever of the group is left (a stuck master, a worker
    it lost track of)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


# --- What /proc says of processes --------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, list[str]]:
    """Each live process's ``/proc/<pid>/stat`` fields after ``pid (command)`` (the
    command may hold spaces and parentheses: split after the last ``)``)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        stats[int(entry.name)] = stat[stat.rindex(")") + 2:].split()
    return stats


def process_children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (gunicorn's workers), sorted."""
    return sorted(child for child, fields in _stats().items() if int(fields[1]) == pid)


def process_tree_cpu(roots: list[int]) -> float:
    """CPU seconds (user + system) used so far by the processes ``roots`` and all their
    descendants (gunicorn's master and workers; php-fpm's master and children, nginx's),
    from /proc/<pid>/stat; clock ticks of 10 ms. Processes that vanished are skipped."""
    stats = _stats()
    parents = {pid: int(fields[1]) for pid, fields in stats.items()}
    times = {pid: int(fields[11]) + int(fields[12]) for pid, fields in stats.items()}
    wanted, frontier = set(), [pid for pid in roots if pid in times]
    while frontier:
        pid = frontier.pop()
        wanted.add(pid)
        frontier.extend(child for child, parent in parents.items()
                        if parent == pid and child not in wanted)
    return sum(times[pid] for pid in wanted) / CLOCK_TICKS


def process_memory(pid: int) -> dict[str, float]:
    """A process's memory in MiB: ``VmRSS`` (resident) and ``VmHWM`` (its peak) from
    ``/proc/<pid>/status``; ``Pss`` (shared pages split between the processes sharing them)
    and ``Uss`` (private pages) from ``/proc/<pid>/smaps_rollup``. Raises OSError when the
    process is gone."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0, "Pss": 0.0, "Uss": 0.0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == "Pss":
            values["Pss"] = int(rest.split()[0]) / 1024
        elif name in ("Private_Clean", "Private_Dirty"):
            values["Uss"] += int(rest.split()[0]) / 1024
    return values
