"""Forms and labels of the mentor accounts: the invitation button (CSRF only) and the
mentorship roles as the mentor's pages name them."""

from __future__ import annotations

from ..forms import Form


class InviteMentorForm(Form):
    """Create the mentor account of a contact person: only the CSRF token (the contact
    person is in the URL, the one-time ``form_token`` travels beside it)."""
