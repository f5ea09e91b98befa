"""Account forms. Password rules live in one validator shared by every form that sets one."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from ..forms import Form, LazyText, strip
from ..passwords import is_common


def normalise_email(value: str | None) -> str:
    return (value or "").strip().lower()


class PasswordPolicy:
    """At least PASSWORD_MIN_LENGTH characters, no composition rules, not a common password."""

    def __call__(self, form, field) -> None:
        password = field.data or ""
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(password) < minimum:
            raise ValidationError(
                ngettext("Choose at least %(num)d character. A short sentence is easy to "
                         "remember.",
                         "Choose at least %(num)d characters. A short sentence is easy to "
                         "remember.", minimum)
            )
        if len(password) > 256:
            raise ValidationError(_("Choose at most 256 characters."))
        if is_common(password):
            raise ValidationError(
                _("This password is too common and easy to guess. Choose another one.")
            )
        email = _account_email(form)
        if email and email in password.lower():
            raise ValidationError(_("Your password must not contain your e-mail address."))


def _account_email(form) -> str:
    """The address the new password belongs to: the form's e-mail field (registration) or the
    account the form was built for (``AccountPasswordForm``). A form with neither is a bug:
    the policy would silently skip a rule, so it fails loudly instead."""
    field = getattr(form, "email", None)
    if field is not None and hasattr(field, "data"):
        return normalise_email(field.data)
    if isinstance(form, AccountPasswordForm) and form.account_email:
        return normalise_email(form.account_email)
    raise TypeError(f"{type(form).__name__} sets a password but knows no e-mail address")


# Texts of the field factories below, which run at import (in class bodies): lazy strings
# belong at module level, constant.
EMAIL_LABEL = _l("E-mail address")
EMAIL_REQUIRED = _l("Enter your e-mail address.")
EMAIL_INVALID = _l("Enter a valid e-mail address, like name@example.org.")
PASSWORD_LABEL = _l("Password")
PASSWORD_REQUIRED = _l("Choose a password.")
CONFIRM_LABEL = _l("Password again")
CONFIRM_REQUIRED = _l("Type the password a second time.")
CONFIRM_DIFFERENT = _l("The two passwords are not the same.")


def email_field(label=None) -> EmailField:
    return EmailField(
        label or EMAIL_LABEL,
        filters=[normalise_email],
        validators=[
            DataRequired(EMAIL_REQUIRED),
            Length(max=254),
            Email(EMAIL_INVALID, check_deliverability=False),
        ],
        render_kw={"autocomplete": "email"},
    )


def new_password_fields(label=None):
    password = PasswordField(
        label or PASSWORD_LABEL,
        validators=[InputRequired(PASSWORD_REQUIRED), PasswordPolicy()],
        description=LazyText(lambda: ngettext(
            "At least %(num)d character. A few words strung together work well.",
            "At least %(num)d characters. A few words strung together work well.",
            current_app.config["PASSWORD_MIN_LENGTH"],
        )),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        CONFIRM_LABEL,
        validators=[
            InputRequired(CONFIRM_REQUIRED),
            EqualTo("password", CONFIRM_DIFFERENT),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegisterForm(Form):
    name = StringField(
        _l("Your name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    password, confirm = new_password_fields()
    consent = BooleanField(
        _l("I have read the privacy notice and agree that the pole keeps my data to follow my "
           "project."),
        validators=[DataRequired(_l("You need to accept the privacy notice to create an account."))],
    )


class LoginForm(Form):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Stay logged in on this device"), default=False)
    next = HiddenField()


class ResetRequestForm(Form):
    email = email_field()


class AccountPasswordForm(Form):
    """A form setting the password of an existing account, which has no e-mail field: it is
    built for that account so the policy can refuse a password containing its address."""

    def __init__(self, *args, account_email: str | None = None, **kwargs) -> None:
        self.account_email = account_email
        super().__init__(*args, **kwargs)


class SetPasswordForm(AccountPasswordForm):
    """Invitation and reset links: the same policy as registration."""

    password, confirm = new_password_fields()


class LogoutForm(Form):
    """Logging out is a POST with CSRF, so no link or image can log anyone out."""


CODE_LABEL = _l("Code")
CODE_REQUIRED = _l("Enter the 6-digit code from your authenticator app.")


def code_field(label=CODE_LABEL, description=None) -> StringField:
    """A one-time code: 6 digits from the app (or, where accepted, a recovery code)."""
    return StringField(
        label, filters=[strip], description=description,
        validators=[InputRequired(CODE_REQUIRED), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                   "autocapitalize": "none", "spellcheck": "false"})


class SecondFactorForm(Form):
    """The login's second step: a code from the app, or one of the recovery codes."""

    code = code_field(description=_l(
        "The 6 digits your authenticator app shows now. Lost your phone? Type one of your "
        "recovery codes instead."))
