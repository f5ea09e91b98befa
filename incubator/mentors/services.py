"""Writes of mentor accounts: a contact person of the directory becomes a mentor account,
invited by e-mail exactly as staff are (``auth.services.send_invitation``: a one-time
set-your-password link built on the configured base URL, queued in the outbox, deleted once
sent). Flushed, never committed."""

from __future__ import annotations

from ..auth.services import EmailTaken, create_user, find_user_by_email, send_invitation
from ..extensions import db
from ..models import OrganisationContact, Role, User


class NoEmail(ValueError):
    """The contact person has no e-mail address: an invitation has nowhere to go."""


class AlreadyHasAccount(ValueError):
    """The contact person already has a mentor account (``user``)."""

    def __init__(self, user: User):
        super().__init__(user.id)
        self.user = user


class AddressTaken(ValueError):
    """Another account already uses the contact person's address; ``role`` is its kind
    (holder, mentor, advisor, manager): one person, one account."""

    def __init__(self, role: str):
        super().__init__(role)
        self.role = role


def invite_mentor(contact: OrganisationContact, by: User) -> User:
    """Create the mentor account of ``contact`` (their name and e-mail, no password yet),
    link it to them, and e-mail them the invitation link (to them only).

    Raises NoEmail (no address), AlreadyHasAccount (``contact.user`` loaded: they have one)
    or AddressTaken (another account uses the address, also when created at the same
    moment)."""
    if contact.user_id is not None:
        raise AlreadyHasAccount(contact.user)
    if not contact.email:
        raise NoEmail(contact.id)
    existing = find_user_by_email(contact.email)
    if existing is not None:
        raise AddressTaken(existing.role)
    try:
        user = create_user(contact.email, contact.name, Role.MENTOR, None, invited_by=by)
    except EmailTaken:
        taken = find_user_by_email(contact.email)
        raise AddressTaken(taken.role if taken else Role.MENTOR.value) from None
    contact.user_id = user.id
    db.session.flush()
    send_invitation(user, by)
    return user

