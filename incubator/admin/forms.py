"""Forms of the user administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from ..auth.forms import email_field
from ..forms import Form, strip
from ..labels import ROLE_LABELS
from ..models import Role


def role_choices(include_holder: bool = True):
    roles = [Role.ADVISOR, Role.MANAGER, Role.MENTOR] + ([Role.HOLDER] if include_holder else [])
    return [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in roles]


class InviteForm(Form):
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)])
    email = email_field()
    role = SelectField(_l("Role"), choices=role_choices(include_holder=False),
                       default=Role.ADVISOR.value)


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=role_choices())


class ActiveForm(Form):
    """Deactivate (``active=0``) or reactivate (``active=1``) an account.

    The form states the result its button promised, never "the opposite of now": a stale tab
    or a second manager pressing "Deactivate" again cannot turn the account back on.
    """

    active = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


class ActionForm(Form):
    """A button with nothing but CSRF (send the invitation again, clear a login delay)."""
