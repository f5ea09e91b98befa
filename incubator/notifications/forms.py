"""Forms of the notifications page: marking everything read, the e-mail preference."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from ..forms import Form


class MarkAllReadForm(Form):
    # The page the user is on, so htmx can give it back (read) in place.
    page = IntegerField(widget=HiddenInput(), validators=[Optional()], default=1)


class PreferencesForm(Form):
    email_notifications = BooleanField(_l("Send me these notifications by e-mail"))
