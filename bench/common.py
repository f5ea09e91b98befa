"""What the benchmark scripts share (bench/board.py, bench/pipeline.py): the app's settings
and an empty schema, the names the fake data is made of, counting SQL statements, timing
requests, percentiles, and a description of the machine and the code measured."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
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


def bench_config(database_url: str) -> dict[str, Any]:
    """The test settings (cheap password hashing, no mail server), but run as in production:
    not TESTING, mail left to the worker (not inline), and no throttling."""
    config = settings.for_tests(database_url)
    config.update({
        "TESTING": False,
        "SECRET_KEY": SECRET_KEY,
        "WORKER_INLINE": False,  # as in production: the worker sends, not the request
        "RATELIMIT_ENABLED": False,
        "EXTRA_TRUSTED_HOSTS": ["127.0.0.1"],  # gunicorn is asked at 127.0.0.1:port
    })
    return config


def empty_database(app: Flask) -> None:
    """Drop every table (alembic_version and strays included) and create the schema."""
    with app.app_context():
        existing = MetaData()
        existing.reflect(bind=db.engine)
        existing.drop_all(bind=db.engine)
        db.create_all()


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
