"""Writes of the account page (/account): my name, language and e-mail preference, a new
e-mail address confirmed by a link, and a request to close my account. They flush, never
commit (the route commits once), and write the security log themselves.

E-mail change (issue 14): the owner asks for a new address with their password; a
single-use link valid ``EMAIL_CHANGE_HOURS`` is mailed to the new address (built on
``BASE_URL``, never on the request), and the old address is told that a change was asked
(no link: it cannot approve anything). The address changes only when the owner, logged in,
confirms from that link; the address is checked free again then. Only the SHA-256 of the
link's token is kept. A new request cancels the pending one; confirming spends it and the
password-reset links mailed to the old address.

Closure: a person asks that the pole close their account (with an optional reason); the
active managers are told (``notifications.services.closure_requested``). The person may
cancel while it is pending; a manager marks it handled or declined with a message (sent to
the person by e-mail). The erasure itself is the managers' erasure feature.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..auth.services import in_their_language
from ..extensions import db
from ..i18n import datetime_long
from ..models import ClosureRequest, ClosureStatus, EmailChange, User, utcnow
from ..notifications.services import closure_requested
from ..outbox import queue_mail
from ..permissions import closure_request_readers
from ..security_log import record
from ..tokens import digest, spend_tokens
from ..urls import absolute_url
from ..versions import save_version

TOKEN_MAX_LENGTH = 128


class AddressTaken(ValueError):
    """Another account already uses the address asked for."""


class SameAddress(ValueError):
    """The address asked for is already the account's own."""


class AlreadyPending(ValueError):
    """A closure request of this account is already waiting for the managers."""


class NotPending(ValueError):
    """The closure request was already cancelled or answered."""


# Identity and preferences

def rename(user: User, name: str, seen_version: int | None) -> None:
    """Write ``user``'s new display name (trimmed; 1 to 120 characters, checked by the form)
    if the account is still at ``seen_version``. Raises versions.StaleVersion otherwise."""
    save_version(user, seen_version, name=name.strip())


def set_language(user: User, locale: str) -> None:
    """Save ``locale`` (one of ``LANGUAGES``: "fr", "en") as the user's language: pages
    and e-mails use it. Raises ValueError for another value."""
    if locale not in current_app.config["LANGUAGES"]:
        raise ValueError(locale)
    user.locale = locale
    db.session.flush()


def set_email_notifications(user: User, on: bool) -> None:
    """Notifications stay in the app; ``on`` also sends each by e-mail."""
    user.email_notifications = on
    db.session.flush()


# E-mail change

def pending_email_change(user: User) -> EmailChange | None:
    """``user``'s change of address waiting for its link to be opened, if any (one read)."""
    return db.session.scalar(
        select(EmailChange).where(EmailChange.user_id == user.id,
                                  EmailChange.confirmed_at.is_(None),
                                  EmailChange.cancelled_at.is_(None),
                                  EmailChange.expires_at > utcnow())
        .order_by(EmailChange.id.desc()).limit(1))


def _address_taken(email: str, user: User) -> bool:
    return db.session.scalar(
        select(User.id).where(User.email == email, User.id != user.id)) is not None


def _cancel_pending(user: User) -> int:
    result = db.session.execute(
        update(EmailChange).where(EmailChange.user_id == user.id,
                                  EmailChange.confirmed_at.is_(None),
                                  EmailChange.cancelled_at.is_(None))
        .values(cancelled_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def request_email_change(user: User, new_email: str) -> EmailChange:
    """Ask that ``user``'s address become ``new_email`` (normalised by the form; the caller
    checked the password). Cancels a pending change, stores the link's digest, queues the
    link to the new address (a secret mail: its row is deleted once sent) and a notice to
    the old one, both in the user's language. Records ``email.change_requested``.

    Raises SameAddress (their own address) or AddressTaken (another account's: the same
    thing registration says, behind the password and a rate limit)."""
    new_email = new_email.strip().lower()
    if new_email == user.email:
        raise SameAddress(new_email)
    if _address_taken(new_email, user):
        raise AddressTaken(new_email)
    _cancel_pending(user)
    token = secrets.token_urlsafe(32)
    hours = current_app.config["EMAIL_CHANGE_HOURS"]
    change = EmailChange(user_id=user.id, new_email=new_email, token_hash=digest(token),
                         expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(change)
    db.session.flush()
    with in_their_language(user):
        link = absolute_url("account.confirm_email", token=token)
        until = datetime_long(change.expires_at)
        subject = _("Confirm your new e-mail address on Incubateur")
        body = _(
            "Hello %(name)s,\n\nYou asked to use this address for your Incubateur account. "
            "Confirm it here, logged in to your account (the link works once, until "
            "%(until)s):\n%(link)s\n\nIf you did not ask for it, ignore this message: "
            "nothing changes.\n", name=user.name, until=until, link=link)
        notice_subject = _("A change of your Incubateur e-mail address was asked")
        notice = _(
            "Hello %(name)s,\n\nA change of the e-mail address of your Incubateur account "
            "was asked, to %(new)s. It takes effect only when the link sent to that address "
            "is opened by you, logged in.\n\nIf it was not you, log in, cancel the change on "
            "your account page and change your password: %(account)s\n",
            name=user.name, new=new_email, account=absolute_url("account.index"))
    queue_mail(new_email, subject, body, secret=True)
    queue_mail(user.email, notice_subject, notice)
    record("email.change_requested", user_id=user.id, change_id=change.id)
    return change


@dataclass(frozen=True)
class LinkCheck:
    """What an e-mail change link is worth for the logged-in user: ``change`` when it
    works, else ``reason``: "unknown" (never issued, or another account's: the same answer,
    so a link says nothing about other accounts), "used", "cancelled" or "expired"."""

    change: EmailChange | None
    reason: str | None = None
    expired_at: datetime | None = None


def check_link(user: User, token: str) -> LinkCheck:
    """The ``EmailChange`` of ``token`` if it belongs to ``user`` and still works."""
    row = None
    if token and len(token) <= TOKEN_MAX_LENGTH:
        row = db.session.scalar(select(EmailChange).where(
            EmailChange.token_hash == digest(token)))
    if row is None or row.user_id != user.id:
        return LinkCheck(None, "unknown")
    if row.confirmed_at is not None:
        return LinkCheck(None, "used")
    if row.cancelled_at is not None:
        return LinkCheck(None, "cancelled")
    if row.expires_at <= utcnow():
        return LinkCheck(None, "expired", row.expires_at)
    return LinkCheck(row)


def confirm_email_change(user: User, change: EmailChange) -> str:
    """Make ``change`` (checked by ``check_link`` for ``user``) the account's address:
    spends it (a conditional UPDATE, so two clicks at once change it once), spends the
    password links mailed to the old address, and records ``email.changed``. Returns the
    old address. Raises NotPending (spent meanwhile) or AddressTaken (another account took
    the address since the request; the change is cancelled)."""
    spent = db.session.execute(
        update(EmailChange).where(EmailChange.id == change.id,
                                  EmailChange.confirmed_at.is_(None),
                                  EmailChange.cancelled_at.is_(None))
        .values(confirmed_at=utcnow()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        raise NotPending()
    old = user.email
    if _address_taken(change.new_email, user):
        db.session.execute(update(EmailChange).where(EmailChange.id == change.id)
                           .values(confirmed_at=None, cancelled_at=utcnow())
                           .execution_options(synchronize_session=False))
        raise AddressTaken(change.new_email)
    try:
        # The unique constraint decides against a registration of the address at the same
        # moment; the savepoint keeps the caller's transaction.
        with db.session.begin_nested():
            user.email = change.new_email
            db.session.flush()
    except IntegrityError:
        db.session.expire(user, ["email"])
        raise AddressTaken(change.new_email) from None
    spend_tokens(user, "reset")
    record("email.changed", user_id=user.id, change_id=change.id)
    return old


def cancel_email_change(user: User) -> bool:
    """Cancel ``user``'s pending change (its link dies). Returns False when none was
    pending. Records ``email.change_cancelled``."""
    if not _cancel_pending(user):
        return False
    record("email.change_cancelled", user_id=user.id)
    return True


# Closure requests

def pending_closure(user: User) -> ClosureRequest | None:
    """``user``'s closure request waiting for the managers, if any (one read)."""
    return db.session.scalar(select(ClosureRequest).where(
        ClosureRequest.user_id == user.id,
        ClosureRequest.status == ClosureStatus.PENDING.value))


def _active_managers() -> list[User]:
    return list(db.session.scalars(select(User).where(closure_request_readers())))


def request_closure(user: User, reason: str) -> ClosureRequest:
    """Record ``user``'s request that their account be closed (``reason``: optional, up to
    2,000 characters, checked by the form), tell the active managers and record
    ``account.closure_requested``. Raises AlreadyPending when one is waiting (also when
    another request wins the race: the partial unique index decides)."""
    if pending_closure(user) is not None:
        raise AlreadyPending()
    closure = ClosureRequest(user_id=user.id, reason=reason.strip())
    try:
        with db.session.begin_nested():
            db.session.add(closure)
    except IntegrityError:
        raise AlreadyPending() from None
    closure_requested([m for m in _active_managers() if m.id != user.id], user)
    record("account.closure_requested", user_id=user.id, closure_id=closure.id,
           role=user.role)
    return closure


def cancel_closure(user: User) -> bool:
    """Withdraw ``user``'s pending request. Returns False when none was pending. Records
    ``account.closure_cancelled``."""
    result = db.session.execute(
        update(ClosureRequest).where(ClosureRequest.user_id == user.id,
                                     ClosureRequest.status == ClosureStatus.PENDING.value)
        .values(status=ClosureStatus.CANCELLED.value, cancelled_at=utcnow(),
                version=ClosureRequest.version + 1)
        .execution_options(synchronize_session=False))
    if not result.rowcount:
        return False
    record("account.closure_cancelled", user_id=user.id)
    return True


def answer_closure(closure: ClosureRequest, by: User, status: ClosureStatus, message: str,
                   seen_version: int | None) -> None:
    """A manager marks a pending request ``status`` (HANDLED or DECLINED) with ``message``
    (optional for handled, required for declined: checked by the form). The person is told
    by e-mail in their language. Records ``account.closure_answered``. Raises ValueError
    for another status; versions.StaleVersion when the request changed since
    ``seen_version`` or is no longer pending (cancelled, answered by someone else)."""
    if status not in (ClosureStatus.HANDLED, ClosureStatus.DECLINED):
        raise ValueError(status)
    save_version(closure, seen_version,
                 where=(ClosureRequest.status == ClosureStatus.PENDING.value,),
                 status=status.value, answer=message.strip(), answered_at=utcnow(),
                 answered_by_id=by.id)
    person = db.session.get(User, closure.user_id)
    if person is not None and person.active:
        with in_their_language(person):
            if status is ClosureStatus.HANDLED:
                subject = _("Your request to close your Incubateur account")
                body = _("Hello %(name)s,\n\nThe pole has handled your request to close "
                         "your account.\n", name=person.name)
            else:
                subject = _("Your request to close your Incubateur account")
                body = _("Hello %(name)s,\n\nThe pole cannot close your account for now.\n",
                         name=person.name)
            if message.strip():
                body += "\n" + _("%(name)s writes:", name=by.name) + "\n" \
                        + message.strip() + "\n"
            body += "\n" + _("Your account page: %(url)s",
                             url=absolute_url("account.index")) + "\n"
        queue_mail(person.email, subject, body)
    record("account.closure_answered", user_id=by.id, target_id=closure.user_id,
           closure_id=closure.id, status=status.value)
