"""Language choice and French formatting of dates, numbers, money and names in sentences.

Dates have one style per kind of place: the long form in sentences (``date_long``,
``datetime_long``: "30 novembre 2026"), the short form in tables, lists and cards
(``date_short``, ``datetime_short``: "30 nov. 2026, 14:05"); times in the pole's time zone.

French is the default. The language comes from, in order: the user's explicit choice (the
switch in the page, kept in the session and on the account), the browser's preference,
French.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

from babel import dates
from babel.support import NullTranslations
from flask import Flask, current_app, g, request, session
from flask_babel import (
    format_currency,
    format_decimal,
    get_locale,
    get_timezone,
    get_translations,
    to_user_timezone,
)
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context


def select_locale() -> str:
    """The interface's language: the one chosen in this session, else the account's, else
    the browser's (Accept-Language), else French. While the database is out of reach
    (errors.py sets ``g.database_unavailable``) the account is not read."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if (not g.get("database_unavailable") and current_user and current_user.is_authenticated
            and current_user.locale in languages):
        return current_user.locale
    return request_locale()


def request_locale() -> str:
    """The language the request itself carries, without the database: the session
    cookie's choice, else Accept-Language, else French (the 503 page speaks it)."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _babel_locale() -> str:
    """The locale dates are written in: English reads British forms ("30 Nov 2026", 14:05),
    never US ones ("Nov 30, 2026", "11/30/26", 2:05 PM)."""
    locale = get_locale()
    if locale is None:
        return "fr"
    return "en_GB" if locale.language == "en" else str(locale)


def _day(value: date | datetime) -> date:
    """A datetime's day in the pole's time zone (/admin/pole, else INCUBATOR_TIMEZONE), a
    date as it is."""
    return to_user_timezone(value).date() if isinstance(value, datetime) else value


def pole_today(now: datetime | None = None) -> date:
    """The day ``now`` (aware; default: this instant) falls on in the pole's time zone
    (``pole.current_pole``: /admin/pole, else Europe/Paris), not UTC's, which is still the day before
    until 01:00 or 02:00 in Paris: the forms' default dates, "overdue", "not in the future"."""
    return (now or datetime.now(UTC)).astimezone(get_timezone()).date()


def date_long(value: date | datetime | None) -> str:
    """A date in a sentence: "30 novembre 2026", "1er décembre 2026", "30 November 2026"."""
    if value is None:
        return ""
    day = _day(value)
    locale = _babel_locale()
    text = dates.format_date(day, "long", locale=locale)
    if day.day == 1 and locale.startswith("fr"):
        text = text.replace("1", "1er", 1)  # French writes the first of a month as an ordinal
    return text


def date_short(value: date | datetime | None) -> str:
    """A date in a table, a list or a card: "30 nov. 2026", "30 Nov 2026" (never figures
    only, which French and US readers read differently)."""
    if value is None:
        return ""
    return dates.format_date(_day(value), "medium", locale=_babel_locale())


def _with_time(value: datetime, length: str, day: str) -> str:
    locale = _babel_locale()
    time = dates.format_time(to_user_timezone(value).time(), "HH:mm", locale=locale)
    # as babel.dates.format_datetime joins them: CLDR's "{1} 'à' {0}" quotes literal text
    pattern = dates.get_datetime_format(length, locale=locale).replace("'", "")
    return pattern.replace("{0}", time).replace("{1}", day)


def datetime_long(value: datetime | None) -> str:
    """A moment in a sentence, in the pole's time zone: "30 novembre 2026, 14:05"."""
    return "" if value is None else _with_time(value, "long", date_long(value))


def datetime_short(value: datetime | None) -> str:
    """A moment in a table, a list or a card, in the pole's time zone: "30 nov. 2026, 14:05"."""
    return "" if value is None else _with_time(value, "medium", date_short(value))


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


# -- translations in templates ------------------------------------------------------------
#
# A page calls ``_()`` 50 to 70 times (the layout alone about 50). Flask-Babel's Jinja
# callables look the translations up again at each call (domain, locale, ``str(locale)``, a
# dict), and Jinja's wrapper then formats the text with ``%`` as Markup: about 30 µs a call
# on the loaded test machine, 1.5 to 2 ms a page (docs/performance.md, "Per-request costs").
# Below, the request's translations are looked up once, and a text without variables is
# formatted once per process and language.

MEMO_LIMIT = 4096  # formatted texts kept per language: the catalogue holds about 2,400


def current_translations() -> NullTranslations:
    """Flask-Babel's translations for the locale in force, as ``flask_babel.get_translations``
    returns them, kept on Flask-Babel's per-request namespace (``g._flask_babel``) with the
    locale and domain objects they were found for: ``force_locale`` and ``refresh``, which
    replace or remove those objects, make the next call look again."""
    if not g:  # no app context: what Flask-Babel gives there
        return get_translations()
    space = g.get("_flask_babel")
    if space is not None:
        kept = getattr(space, "incubator_translations", None)
        locale = getattr(space, "babel_locale", None)
        if (kept is not None and locale is not None and kept[0] is locale
                and kept[1] is getattr(space, "babel_domain", None)):
            return kept[2]
    translations = get_translations()
    space = g.get("_flask_babel")
    if space is not None and getattr(space, "babel_locale", None) is not None:
        space.incubator_translations = (space.babel_locale,
                                        getattr(space, "babel_domain", None), translations)
    return translations


def _install_template_gettext(app: Flask) -> None:
    """Jinja's own newstyle callables (``_()``, ``ngettext``, ``pgettext``, ``npgettext``,
    ``{% trans %}``: the translation, Markup when autoescaping, formatted with its variables)
    over ``current_translations``, in place of Flask-Babel's; and ``_()`` without variables
    answered from a memo kept on the translations (per language and autoescape mode: the
    result, a str or Markup, never changes)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    jinja_gettext = app.jinja_env.globals["gettext"]

    @pass_context
    def gettext(context: Context, string: str, /, **variables: object) -> str:
        if variables:
            return jinja_gettext(context, string, **variables)
        translations = current_translations()
        memo = translations.__dict__.get("incubator_formatted")
        if memo is None:
            memo = translations.incubator_formatted = {}  # type: ignore[attr-defined]
        key = (string, context.eval_ctx.autoescape)
        found = memo.get(key)
        if found is None:
            found = jinja_gettext(context, string)
            if len(memo) < MEMO_LIMIT:
                memo[key] = found
        return found

    app.jinja_env.globals["gettext"] = gettext


def register_i18n(app: Flask) -> None:
    _install_template_gettext(app)  # after Flask-Babel's init_app, which installed its own
    app.jinja_env.filters.update(
        date_long=date_long, date_short=date_short, datetime_long=datetime_long,
        datetime_short=datetime_short, money=_money, number=_number
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
