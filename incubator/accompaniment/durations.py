"""Durations as people type them and as the pages show them.

``parse_duration`` reads "1 h 30", "1h30", "1:30", "90 min", "1,5" (hours) and the like into
whole minutes, and refuses, with a message saying what to type, anything it would have to
guess: "1,30" may be one hour thirty or 1.3 hours, "90" alone 90 hours or 90 minutes.
``format_minutes`` writes minutes the one way the pages use: "12 h 30", "2 h", "45 min".
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

MAX_MINUTES = 24 * 60  # what a day holds (the table's constraint too)

_HOURS = r"(?:h|hr|hrs|heures?|hours?)"
_MINUTES = r"(?:m|mn|min|mins|minutes?)"
_HOURS_MINUTES = re.compile(rf"(\d{{1,3}}) ?{_HOURS} ?(?:(\d{{1,2}}) ?{_MINUTES}?)?")
_ONLY_MINUTES = re.compile(rf"(\d{{1,5}}) ?{_MINUTES}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DECIMAL_HOURS = re.compile(rf"(\d{{1,3}})(?:[,.](\d{{1,2}}))? ?({_HOURS})?")
#: A whole number typed without a unit is read as hours up to this (a long working day);
#: above, "30" is more likely minutes than hours: the unit is asked for, never guessed.
BARE_HOURS_MAX = 8
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class DurationRefused(ValueError):
    """The text is not a duration we can read without guessing; ``str()`` says what to type."""


def examples() -> str:
    """How a duration is typed, for the messages that ask for one."""
    return _("for example 1 h 30, 90 min or 1,5 (hours)")


def _checked(minutes: int) -> int:
    if minutes <= 0:
        raise DurationRefused(_("Enter a duration of at least one minute, %(examples)s.",
                                examples=examples()))
    if minutes > MAX_MINUTES:
        raise DurationRefused(_("A duration is at most 24 hours (one day): log each day "
                                "on its own."))
    return minutes


def parse_duration(text: str | None) -> int:
    """Whole minutes from a duration typed the way people type it.

    Raises DurationRefused (a message for the user): empty, unreadable, ambiguous, not a
    whole number of minutes, zero, or more than a day."""
    typed = _SPACES.sub(" ", (text or "").strip().lower())
    if not typed:
        raise DurationRefused(_("Enter the duration, %(examples)s.", examples=examples()))
    if found := _HOURS_MINUTES.fullmatch(typed):
        hours, minutes = int(found.group(1)), int(found.group(2) or 0)
        if minutes >= 60:
            raise DurationRefused(_("“%(typed)s”: the minutes go up to 59. Type for example "
                                    "2 h 30.", typed=text.strip()))
        return _checked(hours * 60 + minutes)
    if found := _ONLY_MINUTES.fullmatch(typed):
        return _checked(int(found.group(1)))
    if found := _CLOCK.fullmatch(typed):
        hours, minutes = int(found.group(1)), int(found.group(2))
        if minutes >= 60:
            raise DurationRefused(_("“%(typed)s”: the minutes go up to 59. Type for example "
                                    "2 h 30.", typed=text.strip()))
        return _checked(hours * 60 + minutes)
    if found := _DECIMAL_HOURS.fullmatch(typed):
        whole, decimals = found.group(1), found.group(2) or ""
        if not decimals and not found.group(3) and int(whole) > BARE_HOURS_MAX:
            # "30" alone: 30 hours is more than a day's work, 30 minutes a guess.
            raise DurationRefused(_("“%(typed)s” without a unit: type %(whole)s min for "
                                    "minutes, or hours as 1 h 30.", typed=text.strip(),
                                    whole=whole))
        if len(decimals) == 2 and decimals != "00" and int(decimals) < 60:
            # "1,30": one hour thirty, or 1.3 hours? Never guessed.
            raise DurationRefused(_("“%(typed)s” could mean %(whole)s h %(decimals)s or "
                                    "%(whole)s,%(decimals)s hours: type %(whole)s h "
                                    "%(decimals)s, or the hours with one decimal.",
                                    typed=text.strip(), whole=whole, decimals=decimals))
        minutes = Decimal(f"{whole}.{decimals or 0}") * 60
        if minutes != minutes.to_integral_value():
            raise DurationRefused(_("“%(typed)s” is not a whole number of minutes: type "
                                    "for example 1 h 40 or 100 min.", typed=text.strip()))
        return _checked(int(minutes))
    raise DurationRefused(_("“%(typed)s” is not a duration we can read: type it %(examples)s.",
                            typed=text.strip(), examples=examples()))


def format_minutes(minutes: int | None) -> str:
    """Minutes the one way the pages write them: "12 h 30", "2 h", "45 min" (a no-break
    space before the unit; the same in both languages, as French and English staff write
    hours alike)."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest}\u00a0min"
    if not rest:
        return f"{hours:,}\u00a0h".replace(",", "\u202f")
    return f"{hours:,}\u00a0h\u00a0{rest:02d}".replace(",", "\u202f")


def minutes_to_hours(minutes: int | None) -> Decimal:
    """Minutes as a Decimal of hours (two decimals at most where exact: 90 → 1.5), for the
    tables' ``hours`` columns and the exports."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.01"))
