"""The funders' report of a closed year, kept per process.

A year's report reads the whole year's history: at regional scale (10,000 active projects,
100,000 stage moves) its statements take seconds (docs/performance.md, Issue 15 third
pass), and a closed year's report is asked again and again while funders' files are
written. Its tables are kept per process, keyed by the year's bounds, the language (the
tables hold translated labels) and the ``report`` revision (incubator/revisions.py: it
changes at every commit that writes a table the report reads, so an entry is never served
after such a write), for at most ``REPORT_CACHE_SECONDS`` (the bound on what a write made
outside the app, e.g. ``psql``, leaves stale) and ``REPORT_CACHE_ENTRIES`` entries (the
least recently read goes first). The current year is never kept: its figures follow the
clock (jobs at the end of the period "so far", meetings held by now).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime

from flask import current_app
from flask_babel import get_locale

from .. import revisions
from ..models import utcnow
from ..tables import Table
from . import queries

_entries: OrderedDict[tuple, tuple[float, datetime, list[Table]]] = OrderedDict()
_lock = threading.Lock()


def report(span: queries.Period) -> tuple[list[Table], datetime]:
    """Every table of ``span``'s report, in the page's order, and the instant (UTC) they
    were read from the database: from the cache for a closed year whose report no commit
    has changed since, else read now (``queries.report``). One statement (the revision)
    when served from the cache. Callers must not change the tables."""
    config = current_app.config
    seconds, size = config["REPORT_CACHE_SECONDS"], config["REPORT_CACHE_ENTRIES"]
    now = utcnow()
    if seconds <= 0 or size <= 0 or span.end > now:
        return queries.report(span), now
    # The revision before the data: a commit landing in between leaves the newer tables
    # under the older value (read again next time), never the reverse.
    key = (span, str(get_locale()), revisions.current("report"))
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            _entries.move_to_end(key)
            return entry[2], entry[1]
    tables = queries.report(span)
    with _lock:
        _entries[key] = (time.monotonic() + seconds, now, tables)
        _entries.move_to_end(key)
        while len(_entries) > size:
            _entries.popitem(last=False)
    return tables, now


def table(key: str, span: queries.Period) -> Table:
    """One table of ``span``'s report (KeyError: no such table): the cached report's when
    the year's report is kept, else read alone."""
    if key not in queries.BUILDERS:
        raise KeyError(key)
    config = current_app.config
    if config["REPORT_CACHE_SECONDS"] <= 0 or span.end > utcnow():
        return queries.table(key, span)
    tables, _read_at = report(span)
    return next(t for t in tables if t.key == key)


def clear() -> None:
    """Forget every kept report (tests)."""
    with _lock:
        _entries.clear()
