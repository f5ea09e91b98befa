"""Forms and labels of the mentor accounts: the invitation button (CSRF only) and the
mentorship roles as the mentor's pages name them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..forms import Form
from ..models import MentorshipRole

ROLE_LABELS = {
    MentorshipRole.SPONSOR.value: _l("Sponsor"),
    MentorshipRole.EXPERT.value: _l("Expert"),
    MentorshipRole.SUPPORT_BODY.value: _l("Support body"),
}


class InviteMentorForm(Form):
    """Create the mentor account of a contact person: only the CSRF token (the contact
    person is in the URL, the one-time ``form_token`` travels beside it)."""
