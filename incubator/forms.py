"""Form pieces shared by several blueprints, and ``Form``, the base of every form.

``Form`` keeps what any field can carry within what the database and e-mail headers take,
whatever the form author remembered: single-line fields refuse line breaks and control
characters, multi-line ones control characters other than tab and line breaks (a NUL byte
makes PostgreSQL refuse the whole statement), whole numbers stay within an ``Integer``
column and dates within a sensible span. A test checks that every form inherits from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from babel import support
from flask import current_app, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.i18n import messages_path
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import TextInput

from .i18n import date_long
from .numbers import NumberRefused, local_number, parse_decimal
from .params import MAX_ID, parse_int

# Line breaks of every kind (CR, LF, VT, FF, NEL, LS, PS), other C0 controls, DEL and C1.
_NOT_ONE_LINE = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)


def _one_line(form, field) -> None:
    value = field.data if isinstance(field.data, str) else ""
    if _NOT_ONE_LINE.search(value):
        raise ValidationError(_("Write this on one line."))
    if _CONTROL.search(value):
        raise ValidationError(_("Remove the invisible control characters (tabs and the like)."))


def _text(form, field) -> None:
    value = field.data if isinstance(field.data, str) else ""
    if _CONTROL_IN_TEXT.search(value):
        raise ValidationError(_("Remove the invisible control characters (tabs and the like)."))


def _not_blank(form, field) -> None:
    """A required text typed as nothing but spaces or invisible characters: ``InputRequired``
    saw the raw input, ``strip`` left nothing of it."""
    if field.data == "" and field.raw_data and field.raw_data[0]:
        required = next((v for v in field.validators if isinstance(v, InputRequired)), None)
        if required is not None:
            raise StopValidation(required.message or field.gettext("This field is required."))


def _whole_number(form, field) -> None:
    if isinstance(field.data, int) and not -MAX_ID <= field.data <= MAX_ID:
        raise ValidationError(_("Enter a smaller number."))


def _date_span(form, field) -> None:
    if isinstance(field.data, date) and not FIRST_DATE <= field.data <= LAST_DATE:
        raise ValidationError(_("Enter a date between %(first)s and %(last)s.",
                                first=date_long(FIRST_DATE), last=date_long(LAST_DATE)))


def _checks(field) -> list:
    """The validators ``Form`` adds to ``field`` after its own."""
    if isinstance(field, PasswordField):
        return []  # hashed, never stored or shown: any character may be part of it
    if isinstance(field, HiddenField):
        return []  # nobody types it or sees its error: its reader checks it (safe_next…)
    if isinstance(field, TextAreaField):
        return [_not_blank, _text]
    if isinstance(field, StringField):  # EmailField, SearchField…
        return [_not_blank, _one_line]
    if isinstance(field, IntegerField):
        return [_whole_number]
    if isinstance(field, DateField):
        return [_date_span]
    return []


@lru_cache(maxsize=8)
def wtforms_translations(locale: str) -> support.NullTranslations:
    """WTForms' own messages (« Ce champ est requis. ») in ``locale`` (``"fr"``, ``"en"``),
    read from WTForms' catalogue once per process and locale. Flask-WTF reads that file
    again for every request that builds a form (``flask_wtf/i18n.py``: ~0.5–0.9 ms of CPU
    per move, docs/performance.md "Issue 15, third pass"). A locale WTForms has no
    catalogue for gets ``NullTranslations`` (the English messages)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form of the application (see the module's docstring)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            """WTForms' messages in the request's language (``get_locale()``, so
            ``force_locale`` applies), from the per-process ``wtforms_translations``."""
            locale = get_locale()
            if locale is None or not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_translations(str(locale))

    def seen_version(self) -> int | None:
        """The version of the object the user's page showed (its ``version`` field), or None
        when the request carried none: WTForms would otherwise fall back on the object's
        current version and hide a conflict (versions.save_version then refuses None)."""
        return self.version.data if "version" in request.form else None

    def show_version(self, version: int) -> None:
        """After a 409: the form keeps the user's input and carries ``version`` (the current
        one), so sending it again replaces what the other person saved, knowingly."""
        self.version.data = version
        self.version.raw_data = [str(version)]

    def validate(self, extra_validators=None) -> bool:
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            extra.setdefault(name, []).extend(_checks(field))
            # A choice the list does not offer (a forged request, or a page older than the
            # list): WTForms' own message gives no advice (and a straight apostrophe in French).
            if getattr(field, "invalid_choice_message", False) is None:
                field.invalid_choice_message = _(
                    "Choose one of the options offered: the list may have changed since the "
                    "page was loaded.")
            # A select's value that is not even of the list's type ("abc" for an id): only
            # a forged request sends it; WTForms would say « ne peut pas être converti ».
            if isinstance(field, SelectField) and field.process_errors:
                field.process_errors = [field.invalid_choice_message or _(
                    "Choose one of the options offered: the list may have changed since the "
                    "page was loaded.")]
        return super().validate(extra_validators=extra)


# Fields the page fills itself, never typed: only a stale or altered page gets them wrong,
# and their label would mean nothing to anyone.
PAGE_FIELDS = frozenset({"version", "after_id", "next"})


def _page_filled(name: str, field) -> bool:
    return name in PAGE_FIELDS or isinstance(field, HiddenField)


def page_error(form) -> str | None:
    """The message for a form refused because of a field the page fills (not CSRF), else
    None: the form shows it above its fields, which have nothing to say."""
    if any(field.errors for name, field in form._fields.items()
           if _page_filled(name, field) and name != "csrf_token"):
        return _("This page is out of date or was altered. Reload it and try again.")
    return None


def error_messages(form) -> list[str]:
    """Every error of a refused form as sentences, for an answer that cannot show the form
    itself (a flash message after a plain POST): each typed field's label with its errors,
    one sentence for page-filled fields, and a CSRF failure its own."""
    messages = []
    csrf = form._fields.get("csrf_token")
    if csrf is not None and csrf.errors:
        messages.append(_("Your session has expired or the form is out of date. "
                          "Submit it again."))
    if stale := page_error(form):
        messages.append(stale)
    messages.extend(form.form_errors)
    for name, field in form._fields.items():
        if _page_filled(name, field) or name == "csrf_token":
            continue
        messages.extend(_("%(field)s: %(error)s", field=field.label.text, error=error)
                        for error in field.errors)
    return messages


#: Unicode's explicit bidirectional embeddings, overrides and isolates (LRE, RLE, PDF, LRO,
#: RLO; LRI, RLI, FSI, PDI): typed into a name or a title, they reverse the rest of every
#: sentence that quotes it ("Retirer …\u202eevil des porteur·ses ?" reads backwards) and can
#: disguise what a confirmation asks. Right-to-left text itself needs none of them (the
#: browser's bidi algorithm orders it); the implicit marks LRM/RLM are kept.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


#: Spaces and invisible characters (zero-width space and joiners, word joiner, BOM, soft
#: hyphen; not the direction marks LRM/RLM, which RTL text may need) around a text: padding,
#: and a name made only of them would be a blank line on every page. Inside a text they are
#: kept (a joiner inside an emoji).
_INVISIBLE_EDGES = re.compile(r"^[\s\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]+"
                              r"|[\s\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]+$")


#: A text of nothing but direction marks (LRM, RLM, ALM) and invisible characters: blank.
_ONLY_MARKS = re.compile(r"[\s\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff]*")


def strip(value: str | None) -> str:
    """The text as typed, without bidi controls (``BIDI_CONTROLS``) nor spaces and invisible
    characters around it; "" when only direction marks are left (a name of two RLM marks
    would be a blank line on every page)."""
    text = _INVISIBLE_EDGES.sub("", (value or "").translate(BIDI_CONTROLS))
    return "" if _ONLY_MARKS.fullmatch(text) else text


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    number = parse_int(value)
    if number is None:
        raise ValueError(value)  # WTForms: "not a valid choice"
    return number


class LazyText:
    """A text computed when shown, so in the reader's language, and escaped like plain text.

    For help texts that format a value into a translation at class level. Flask-Babel's
    ``LazyString`` declares itself markup (``__html__``), so Jinja and WTForms would insert
    whatever was formatted into it unescaped; this one has no ``__html__``.
    """

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]):
        self._make = make

    def __str__(self) -> str:
        return str(self._make())

    def __bool__(self) -> bool:
        return bool(str(self))

    def __eq__(self, other) -> bool:
        return str(self) == other

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"LazyText({str(self)!r})"

    def __mod__(self, values) -> str:
        """WTForms formats a validator's message with ``message % {...}``."""
        return str(self) % values


def at_most(limit: int) -> Length:
    """A check that a text has at most ``limit`` characters, with a message in the reader's
    language ("At most 200 characters.")."""
    return Length(max=limit, message=LazyText(lambda: ngettext(
        "At most %(num)d character.", "At most %(num)d characters.", limit)))


class LocalDecimalField(DecimalField):
    """A decimal typed the way people type it, read by ``numbers.parse_decimal`` (never
    rounded nor guessed: "2,25" is 2.25, "2,500" euros asks which one was meant), shown the
    local way ("12 500,5" in French). A text input: a number input refuses "12 500,50".

    ``places``: the decimals the column keeps; ``example``: a value for the messages
    (called at request time, so in the reader's language). The largest value of a
    ``NumberRange`` validator tells whether "2,500" could mean thousands."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, places: int = 2,
                 example: Callable[[], str] | None = None, **kwargs):
        super().__init__(label, validators, places=places, **kwargs)
        self.example = example

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        maximum = next((v.max for v in self.validators
                        if isinstance(v, NumberRange) and v.max is not None), None)
        try:
            self.data = parse_decimal(valuelist[0], places=self.places, maximum=maximum,
                                      example=self.example() if self.example else None)
        except NumberRefused as error:
            self.data = None
            raise ValueError(str(error)) from error
        if self.data is None:
            self.raw_data = [""]

    def pre_validate(self, form) -> None:
        # Not read as a number: its message says what to type; the validators (a range, for
        # a value there is not) would only add a second error for the same field.
        if self.process_errors:
            raise StopValidation()
        super().pre_validate(form)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return local_number(self.data)


class NullableSelectField(SelectField):
    """A select whose empty first choice means None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", optional_int)
        super().__init__(*args, **kwargs)


class RequiredWhen:
    """Required when ``condition(form)`` holds (e.g. on submission), optional otherwise."""

    def __init__(self, condition, message=None):
        self.condition = condition
        self.message = message
        self.field_flags = {}

    def __call__(self, form, field) -> None:
        empty = field.data is None or (isinstance(field.data, str) and not field.data.strip())
        if not empty:
            return
        field.errors[:] = []
        if self.condition(form):
            raise StopValidation(self.message or _("This field is required."))
        raise StopValidation()
