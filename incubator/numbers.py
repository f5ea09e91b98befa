"""Numbers typed by people, read as they meant them or refused with a message: never
silently changed (rounded, or read as thousands when they may have meant decimals).

One reader for every decimal or amount field (``forms.LocalDecimalField`` uses it). The rules,
the same in French and English since the pole's people write both ways:

- spaces of every kind (space, no-break space, narrow no-break space, thin space) group
  thousands and are dropped, and so is a "€" sign: "2 500", "25 000 €";
- "," and "." are both decimal marks: "2,25" and "2.25" are 2.25;
- with both, the last is the decimal mark and the other must group by threes: "2.500,50" and
  "2,500.50" are 2500.50, "2.50,5" is refused;
- one mark used several times groups thousands: "1.250.000", "1,250,000";
- one mark followed by exactly three digits ("2,500") is ambiguous when the field takes fewer
  decimals and the thousands reading fits its maximum: refused with the two ways to write it
  (only the thousands one when the decimal reading has too many decimals: "12,345" euros);
  otherwise ("0,500", or "1,500" jobs where 1 500 is out of range) it is a decimal mark;
- more significant decimals than the field keeps are refused ("2,255" jobs of 2 decimals),
  trailing zeros are not ("1,50" is 1.5).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import get_group_symbol
from flask_babel import format_decimal, get_locale, ngettext
from flask_babel import gettext as _

SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_BODY = re.compile(r"^[+-]?[\d.,]+$")
# Decimal() reads "1e999999" and "NaN" too: only what people type reaches it.
_PLAIN = re.compile(r"^[+-]?\d{1,30}(\.\d{1,30})?$")


class NumberRefused(ValueError):
    """A typed number that cannot be read without guessing; ``str()`` is the message."""


def _grouped(integer: str, mark: str) -> bool:
    return re.fullmatch(r"\d{1,3}(?:" + re.escape(mark) + r"\d{3})+", integer) is not None


def local_number(value: Decimal | float | int, decimals: int = 0) -> str:
    """``value`` for people to read and type back (help texts, messages, a field's value):
    the language's decimal mark, thousands grouped by narrow no-break spaces, which the
    reader takes in any language ("25,000" would be ambiguous), at least ``decimals``
    decimals and at most two ("2 500,50")."""
    pattern = "#,##0." + "0" * decimals + "#" * max(0, 2 - decimals)
    text = format_decimal(value, format=pattern)
    group = get_group_symbol(get_locale())
    return text if group == "\u202f" else text.replace(group, "\u202f")


def parse_decimal(raw: str | None, *, places: int, maximum: Decimal | int | None = None,
                  example: str | None = None) -> Decimal | None:
    """The number ``raw`` means (None when blank), with at most ``places`` decimals, or
    NumberRefused with a message. ``maximum`` (the field's largest value) tells whether
    "2,500" could be thousands; ``example`` shows a valid value in the messages."""
    text = SPACES.sub("", (raw or "").strip()).replace("€", "")
    if not text:
        return None
    if not _BODY.match(text):
        raise NumberRefused(_invalid(example))
    sign = text[0] if text[0] in "+-" else ""
    body = text[len(sign):]
    commas, points = body.count(","), body.count(".")
    if commas and points:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        integer, _mark, fraction = body.rpartition(decimal_mark)
        if body.count(decimal_mark) != 1 or not _grouped(integer, group_mark) or not fraction:
            raise NumberRefused(_invalid(example))
        plain = f"{integer.replace(group_mark, '')}.{fraction}"
    elif commas > 1 or points > 1:
        mark = "," if commas else "."
        if not _grouped(body, mark):
            raise NumberRefused(_invalid(example))
        plain = body.replace(mark, "")
    elif commas or points:
        integer, _mark, fraction = body.partition("," if commas else ".")
        if not fraction:
            raise NumberRefused(_invalid(example))
        if (len(fraction) == 3 and places < 3 and re.fullmatch(r"[1-9]\d{0,2}", integer)
                and (maximum is None or Decimal(integer + fraction) <= maximum)):
            raise NumberRefused(_ambiguous(sign + body, Decimal(integer + fraction),
                                           Decimal(f"{integer}.{fraction}"), places))
        plain = f"{integer or '0'}.{fraction}"
    else:
        plain = body
    if not _PLAIN.match(sign + plain):
        raise NumberRefused(_invalid(example))
    try:
        value = Decimal(sign + plain)
        exact = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation as error:
        raise NumberRefused(_invalid(example)) from error
    if exact != value:
        raise NumberRefused(_too_precise(places, example))
    return exact


def _invalid(example: str | None) -> str:
    return _("Enter a number, for example %(big)s or %(small)s.",
             big=local_number(12500), small=example or local_number(1.5))


def _too_precise(places: int, example: str | None) -> str:
    if places == 0:
        return _("Enter a whole number.")
    return ngettext("Enter at most %(num)d decimal, for example %(example)s.",
                    "Enter at most %(num)d decimals, for example %(example)s.", places,
                    example=example or local_number(1.5))


def _ambiguous(typed: str, thousands: Decimal, decimal: Decimal, places: int) -> str:
    if decimal != decimal.quantize(Decimal(1).scaleb(-places)):
        # "12,345" with 2 decimals: the decimal reading is not one the field keeps, and
        # proposing it rounded ("12,34") would suggest another figure.
        return ngettext("“%(typed)s” has too many decimals: write %(plain)s or %(grouped)s "
                        "for thousands, or at most %(num)d decimal.",
                        "“%(typed)s” has too many decimals: write %(plain)s or %(grouped)s "
                        "for thousands, or at most %(num)d decimals.", places,
                        typed=typed, plain=str(thousands), grouped=local_number(thousands))
    return _("“%(typed)s” can be read two ways: write %(plain)s or %(grouped)s for "
             "thousands, or %(decimal)s for a decimal number.",
             typed=typed, plain=str(thousands), grouped=local_number(thousands),
             decimal=local_number(decimal, decimals=places))
