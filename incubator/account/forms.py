"""Forms of the account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from ..auth.forms import AccountPasswordForm, new_password_fields
from ..forms import Form


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
