"""Form pieces shared by several blueprints."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import gettext as _
from wtforms import DecimalField, SelectField
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput


def strip(value: str | None) -> str:
    return (value or "").strip()


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def local_number(value) -> str:
    """``value`` formatted for the current language (for help texts and messages)."""
    return format_decimal(value, format="#,##0.##")


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


GROUPED = re.compile(r"^[1-9]\d{0,2}([.,]\d{3})+$")


def normalise_number(raw: str) -> str:
    """Read a number however it was typed, French or English: "12 500,50", "12,500.50",
    "12.500", "1,5" and "1.5" all mean what a person means by them.

    Spaces and "€" go; with both "," and "." the last one is the decimal mark; a lone mark
    followed by groups of exactly three digits ("12,500", "1.250.000") groups thousands;
    otherwise it is the decimal mark.
    """
    for char in (" ", "\u00a0", "\u202f", "€", "'"):
        raw = raw.replace(char, "")
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        return raw.replace(grouping, "").replace(decimal, ".")
    if GROUPED.match(raw):
        return raw.replace(",", "").replace(".", "")
    return raw.replace(",", ".")


class LocalDecimalField(DecimalField):
    """A decimal typed the way people type it (see ``normalise_number``), shown the local
    way ("12 500,5" in French). A text input: a number input refuses "12 500,50"."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = normalise_number(valuelist[0])
        if raw == "":
            self.data = None
            self.raw_data = [""]
            return
        try:
            self.data = Decimal(raw)
            if not self.data.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError) as error:
            self.data = None
            raise ValueError(
                _("Enter a number, for example %(big)s or %(small)s.",
                  big=local_number(12500), small=local_number(1.5))
            ) from error

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, format="#,##0.##")


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
