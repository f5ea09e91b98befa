"""Forms of the account pages: identity, e-mail address, language, e-mail notifications,
password, sessions and the closure request (and its answer by a manager)."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..auth.forms import AccountPasswordForm, code_field, email_field, new_password_fields
from ..forms import Form, at_most, strip

NAME_MAX = 120  # User.name
REASON_MAX = 2000


class PasswordForm(AccountPasswordForm):
    """Change my password: the current one, then the new one twice (the usual policy)."""

    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields(_l("New password"))


class EndSessionForm(Form):
    """Ending a session is a POST with CSRF (the buttons of the sessions page)."""


class StartTwoFactorForm(Form):
    """Start setting up two-factor authentication (a POST: it makes a new secret)."""


class ConfirmTwoFactorForm(Form):
    """The first code from the app, which proves it holds the secret, and the password: a
    session left open must not let someone else tie the account to their own phone."""

    code = code_field(description=_l("The 6 digits your authenticator app shows now."))
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class RecoveryCodesForm(Form):
    """New recovery codes: a code from the app first (a forgotten open session is not
    enough to read them)."""

    code = code_field(description=_l(
        "The 6 digits your authenticator app shows now, or one of your recovery codes."))


class DisableTwoFactorForm(Form):
    """Turning two-factor off takes the password and a code."""

    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    code = code_field(description=_l(
        "The 6 digits your authenticator app shows now, or one of your recovery codes."))
class NameForm(Form):
    """My name as others see it (``version``: the account's, as the page showed it)."""

    name = StringField(_l("Your name"), filters=[strip],
                       validators=[InputRequired(_l("Enter your name.")), at_most(NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX, "autocomplete": "name"})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class EmailChangeForm(Form):
    """A new address, confirmed by my password (a link then goes to the new address)."""

    email = email_field(_l("New e-mail address"))
    current = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(Form):
    """The language of my pages and e-mails."""

    locale = RadioField(_l("Language"), choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")],
                        validators=[InputRequired(_l("Choose a language."))])


class NotificationsForm(Form):
    """Notifications are always in the app; this sends them by e-mail too."""

    email_notifications = BooleanField(_l("Send me my notifications by e-mail"))


class PlainForm(Form):
    """A button that only needs CSRF (cancel a change, cancel a request, confirm a link)."""


class ClosureForm(Form):
    """Ask the pole to close my account (once: the form carries a one-time token)."""

    reason = TextAreaField(_l("Reason (optional)"), filters=[strip],
                           validators=[at_most(REASON_MAX)],
                           render_kw={"maxlength": REASON_MAX, "rows": 3})
    confirm = BooleanField(_l("I understand that my account and my personal data will be "
                              "removed once the pole has handled my request."),
                           validators=[InputRequired(_l("Tick the box to confirm your "
                                                        "request."))])


class ClosureAnswerForm(Form):
    """A manager's answer to a closure request (``version``: the request's)."""

    status = RadioField(_l("Answer"),
                        choices=[SelectChoice("handled",
                                              _l("Handled: the account is closed or will be")),
                                 SelectChoice("declined",
                                              _l("Declined: the account stays open"))],
                        validators=[InputRequired(_l("Choose an answer."))])
    message = TextAreaField(_l("Message to the person"), filters=[strip],
                            validators=[at_most(REASON_MAX)],
                            render_kw={"maxlength": REASON_MAX, "rows": 3})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def seen_version(self) -> int | None:
        """As ``Form.seen_version``, for the prefixed field (``closure3-version``)."""
        return self.version.data if self.version.name in request.form else None

    def validate_message(self, field) -> None:
        if self.status.data == "declined" and not field.data:
            raise ValidationError(_("Say why the account stays open: the person reads it."))
