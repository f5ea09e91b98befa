"""Language choice and French formatting of dates, numbers, money and names in sentences.

French is the default. The language comes from, in order: the user's explicit choice (the
switch in the page, kept in the session and on the account), the browser's preference,
French.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app, request, session
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


def _date(value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format)


def _datetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, format)


def _money(cents: int | None) -> str:
    if cents is None:
        return ""
    amount = Decimal(cents) / 100
    digits = "#,##0" if cents % 100 == 0 else "#,##0.00"
    return format_currency(amount, "EUR", format=f"{digits}\xa0¤", currency_digits=False)


def _number(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##")


def days_since(value: datetime | None) -> int | None:
    if value is None:
        return None
    return max(0, (datetime.now(UTC) - value).days)


def _elides(word: str) -> bool:
    """French elides "de" before a vowel or a mute h (names: "d’Hélène") and before a "y"
    sounded as a vowel ("d’Yves", but "de Yann")."""
    letters = [unicodedata.normalize("NFD", char)[0].lower() for char in word[:2]]
    if not letters or not letters[0].isalpha():
        return False
    first = letters[0]
    if first == "y":
        return len(letters) > 1 and letters[1] not in "aeiouy"
    return first in "aeiouh" or word[0].lower() in "œæ"


def de(name: str) -> str:
    """``name`` as the complement of a noun: "d’Aurélie" or "de Yann Le Goff" in French,
    "of Aurélie" in English. For every sentence that takes a name this way ("The account
    %(of_name)s is active again."): the translation writes no "de" itself."""
    if str(get_locale()) != "fr":
        return f"of {name}"
    return f"d’{name}" if _elides(name.strip()) else f"de {name}"


def register_i18n(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=_date, datetime=_datetime, money=_money, number=_number
    )
    app.jinja_env.globals["days_since"] = days_since
    app.jinja_env.globals["de"] = de


def localized(item: object | None, field: str = "name") -> str:
    """A reference row's ``field`` (a stage's name or description, a theme, a legal form) in
    the interface's language: its ``<field>_en`` column in English when filled, else the
    pole's French wording. The rows stay data the pole edits; this only picks the column."""
    if item is None:
        return ""
    french = getattr(item, field) or ""
    locale = get_locale()
    if locale is not None and locale.language != "fr":
        return getattr(item, f"{field}_{locale.language}", "") or french
    return french


def register_reference_labels(app: Flask) -> None:
    """``{{ stage|localized }}``, ``{{ stage|localized('description') }}`` in templates."""
    app.jinja_env.filters["localized"] = localized
