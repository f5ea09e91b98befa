"""Numbers from URLs and query strings, kept within what the database can store.

Ids are 32-bit ``Integer`` columns on PostgreSQL (1..2147483647) and positions 64-bit
``BigInteger``: a larger number sent to the database is an error there (and an
``OverflowError`` in SQLite's driver), so it never gets that far. Path ids go through
``IdConverter``, which replaces Werkzeug's ``int`` for the whole app: out of range, no route
matches, a 404. Query-string numbers go through ``query_int``: missing gives the default,
anything else that is not a number in range is a 400 with a message.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .errors import fail

MAX_ID = 2**31 - 1  # PostgreSQL integer
MAX_BIGINT = 2**63 - 1  # PostgreSQL bigint (positions, cents)
_MAX_DIGITS = 19  # no need to read a longer number to know it is out of range


class IdConverter(IntegerConverter):
    """``<int:…>`` in every rule: a database id, 1..MAX_ID, else no match (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_params(app: Flask) -> None:
    """Before any blueprint: rules take their converter when they are added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_in_query)


def refuse_nul_in_query() -> None:
    """A NUL character in the query string (``%00``) is a 400 before any route reads it.

    No address the app writes holds one, and PostgreSQL refuses it in any text parameter:
    a search or a commune filter (the board, the directory, the review, the exports) would
    otherwise end in a 500, or in a download cut short once streaming has begun. Forms need
    no such guard: ``forms.py`` removes control characters from every text field."""
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        fail(400, _("The address is not valid: it holds a null character. Go back and use "
                    "the page's links and forms."))


def parse_int(raw: str | None, minimum: int = 1, maximum: int = MAX_ID, *,
              max_digits: int = _MAX_DIGITS) -> int | None:
    """``raw`` as an int when it is a plain decimal number (ASCII digits, an optional '-')
    within the bounds, else None. The one way to read a number from request-derived text
    (query strings, cookies, headers, tokens, hidden fields): ``str.isdigit`` accepts '²'
    and other digits ``int`` refuses, and ``int`` reads numbers of any size."""
    text = (raw or "").strip() if isinstance(raw, str) or raw is None else ""
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > max_digits:
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def query_int(name: str, default: int | None = None, *, minimum: int = 1,
              maximum: int = MAX_ID) -> int | None:
    """The query-string number ``name``: ``default`` when absent or empty, a 400 when it is
    not a whole number from ``minimum`` to ``maximum``."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    value = parse_int(raw, minimum, maximum)
    if value is None:
        fail(400, _("The address is not valid: “%(name)s” must be a whole number from "
                    "%(minimum)d to %(maximum)d.", name=name, minimum=minimum,
                    maximum=maximum))
    return value
