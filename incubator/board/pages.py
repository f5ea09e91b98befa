"""The board's columns rendered once per revision, and a ``304 Not Modified`` for a board the
browser already holds.

A board page was ~40 ms of CPU at 100 cards even with every card cached (board/cards.py):
the columns, counts, filter choices and the layout around them. Here the part of the
answer that only depends on the data — the page's content block (filters, summary,
"show every card", the columns) or the htmx board fragment — is kept per process, keyed by
``part_key``: the ``board`` revision (incubator/revisions.py: it changes at every commit
that writes a table the board shows), the pole's day, the language, the request's path
with the filters and ``show=all`` it reads (the cards' move links carry those, not the raw
query: board/cards.py), the user when the "mine" filter is on, and the settings the part
reads. An entry also expires at the first
instant one of its cards' day counts or stalled marks changes (those follow the clock,
not the data) and after ``BOARD_CACHE_SECONDS`` (writes made outside SQLAlchemy, e.g.
``psql``, are seen by then). The cache is bounded by ``BOARD_PAGE_CACHE_KB`` of memory per
process, HTML and keys as Python holds them (``weight``; 0: no cache, every part is
rendered).

``etag`` names what the answer would be: the part's content (a hash of its HTML) and, for
a whole page, what base.html adds for this user (user, session's CSRF token, unread
notifications; the user's name and role, and the pole's settings, are tables the revision
watches). ``If-None-Match`` with it gives a 304 without rendering anything. Never while
flashed messages wait (the page would show them once; a 304 would lose them).
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import revisions
from ..i18n import pole_today
from .cards import card_kit


@dataclass(frozen=True)
class Part:
    """A rendered part: its HTML, a hash of it, the ``time.time()`` after which it must be
    rendered again, and the DOM id of its first card (where "show every card" puts the
    focus; None without cards)."""

    html: Markup
    digest: str
    expires: float
    first_card: str | None


_parts: OrderedDict[tuple, Part] = OrderedDict()
_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0, "bytes": 0}


def part_key(variant: str, filters) -> tuple:
    """What a part depends on (besides the clock, see ``expires_at``). Reads the ``board``
    and ``choices`` revisions (one statement): call it before any query of the data they
    stand for (revisions.current)."""
    config = current_app.config
    board, choices = revisions.board_and_choices()
    return (
        variant, board, pole_today().isoformat(), str(get_locale()),
        # The address as the part reads it: its filters and "show every card" (parameters
        # it ignores, their order or repetition would only make more entries of one part).
        request.script_root, request.path, tuple(sorted(filters.as_args().items())),
        request.args.get("show") == "all",
        current_user.get_id() if filters.mine else None,
        config["BOARD_COLUMN_CARDS"], config["BOARD_ALL_CARDS"], config["STALLED_DAYS"],
        config["BOARD_POLL_SECONDS"], config["BOARD_MORE_CARDS"],
        choices if variant == "page" else None,  # the fragment shows no filter lists
    )


def key_choices(key: tuple) -> int:
    """The ``choices`` revision a ``part_key`` was made with: the filter lists' key
    (``board.queries.filter_choices``)."""
    return key[-1]


def expires_at(columns) -> float:
    """The first instant a card of ``columns`` would show another day count ("3 days in
    stage") or stalled mark than now, bounded by ``BOARD_CACHE_SECONDS`` from now (as a
    ``time.time()``)."""
    kit = card_kit()
    now = kit.now
    soonest = now + timedelta(seconds=current_app.config["BOARD_CACHE_SECONDS"])
    for column in columns:
        for project in column.cards:
            for instant in (project.stage_entered_at, project.last_activity_at):
                if instant is not None:
                    soonest = min(soonest, instant + timedelta(days=(now - instant).days + 1))
            stalls = kit.stalls_at(project)
            if stalls is not None and stalls > now:
                soonest = min(soonest, stalls)
    return soonest.timestamp()


def render_part(template: str, **context) -> Markup:
    """``template`` rendered as ``render_template`` would (context processors included),
    as the markup Jinja escaped while rendering it (a template module's ``__html__``, as
    board/cards.py's cards), to be put in the page unchanged."""
    current_app.update_template_context(context)
    return current_app.jinja_env.get_template(template).make_module(context).__html__()


def weight(key: tuple, html: str) -> int:
    """The bytes an entry holds in memory: its HTML as Python stores it (1, 2 or 4 bytes a
    character, whichever the widest character needs: an accent makes a French page 2, an
    emoji in one title 4) and its key's texts (the address, up to the server's request line).
    Counting characters instead let an 8 MiB cache hold 16 to 32 MiB."""
    return sys.getsizeof(html) + sum(sys.getsizeof(v) for v in key if isinstance(v, str))


def cached(key: tuple, render: Callable[[], tuple[Markup, float, str | None]]) -> Part:
    """The part for ``key``: from the cache while it is fresh, else ``render()`` →
    (html, expires as a ``time.time()``, first card's id), kept if it fits."""
    limit = current_app.config["BOARD_PAGE_CACHE_KB"] * 1024
    now = time.time()
    if limit:
        with _lock:
            part = _parts.get(key)
            if part is not None and part.expires > now:
                _parts.move_to_end(key)
                _stats["hits"] += 1
                return part
    html, expires, first_card = render()
    part = Part(html, hashlib.blake2b(str(html).encode(), digest_size=16).hexdigest(),
                expires, first_card)
    size = weight(key, html) if limit else 0
    if limit and size <= limit:
        with _lock:
            _stats["misses"] += 1
            old = _parts.pop(key, None)
            if old is not None:
                _stats["bytes"] -= weight(key, old.html)
            _parts[key] = part
            _stats["bytes"] += size
            while _stats["bytes"] > limit:
                dropped_key, dropped = _parts.popitem(last=False)
                _stats["bytes"] -= weight(dropped_key, dropped.html)
    return part


def etag(key: tuple, part: Part, *, unread: int | None = None) -> str | None:
    """The answer's entity tag, unquoted (sent weak: the CSRF token in a page is signed
    anew at each render), or None when the answer must not be revalidated (flashed
    messages wait). For a whole page, ``unread`` is the bell's count it shows."""
    if session.get("_flashes"):
        return None
    parts = [repr(key), part.digest]
    if unread is not None:
        # What base.html shows besides the part: the user (name, role and pole settings
        # are in tables the revision watches), the session's CSRF token (its signature
        # is renewed at each render, the token itself is not), the bell's count.
        generate_csrf()  # the session's token, made now if this is its first page
        parts += [str(current_user.get_id()),
                  str(session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))),
                  str(unread)]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def not_modified(tag: str | None) -> bool:
    """The browser holds this answer already (its ``If-None-Match`` names ``tag``)."""
    return tag is not None and request.if_none_match.contains_weak(tag)


# The last list ``choice_options`` rendered, held with its renderings by selected option:
# (the list itself, {selected id or None: options}), at most CHOICE_RENDERINGS of them.
_options: tuple[list, dict[int | None, Markup]] | None = None
CHOICE_RENDERINGS = 32


def choice_options(choices: list, selected: int | None) -> Markup:
    """``<option value="id">name</option>`` for each ``Choice`` of ``choices`` (names not
    translated: organisations, people), ``selected`` (an id from the filters' bounded
    parser, or None) marked. Rendered once per list object and selected option, through the
    template (escaped by Jinja): board.queries.filter_choices keeps its lists while their
    revision holds, so at the regional scale the mentor filter's 1,684 options (87 KB; the
    form 5.4 → 1.2 ms of CPU at load 13) are rendered once per revision and choice instead
    of at each page rendered (docs/performance.md "third pass"). Holding the list itself
    (not its ``id()``) means a later list can never be mistaken for it."""
    global _options
    held = _options
    if held is None or held[0] is not choices:
        held = _options = (choices, {})
    renderings = held[1]
    html = renderings.get(selected)
    if html is None:
        html = render_part("board/_choice_options.html", choices=choices, selected=selected)
        if len(renderings) >= CHOICE_RENDERINGS:
            renderings.clear()  # a bound; the list's own rendering is rebuilt on its next use
        renderings[selected] = html
    return html


def clear() -> None:
    """Forget every part (tests; keys are values, nothing needs invalidating; the rendered
    options stay: they belong to the kept list they were rendered from)."""
    with _lock:
        _parts.clear()
        _stats.update(hits=0, misses=0, bytes=0)


def stats() -> dict[str, int]:
    with _lock:
        return {**_stats, "size": len(_parts)}

