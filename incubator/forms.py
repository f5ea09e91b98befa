"""Form pieces shared by several blueprints."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectField
from wtforms.validators import StopValidation


def strip(value: str | None) -> str:
    return (value or "").strip()


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class FrenchDecimalField(DecimalField):
    """A number typed the French way: "12 500,50", "1,5", "3 000 €" are all understood."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        for char in (" ", "\u00a0", "\u202f", "€", "'"):
            raw = raw.replace(char, "")
        raw = raw.replace(",", ".")
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
            raise ValueError(_l("Enter a number, for example 12 500 or 1,5.")) from error

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(self.data.normalize(), "f") if self.data == self.data.to_integral() else (
            format(self.data, "f")
        )
        return text.replace(".", ",")


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
            raise StopValidation(self.message or _l("This field is required."))
        raise StopValidation()
