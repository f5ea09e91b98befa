"""Account operations shared by the routes and the command line. They flush, never commit."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..extensions import db
from ..i18n import datetime_long
from ..models import Role, User, utcnow
from ..outbox import queue_mail
from ..passwords import hash_password, needs_rehash, verify_password
from ..security_log import record
from ..tokens import KINDS, make_password_token, spend_tokens
from ..urls import absolute_url
from . import throttle


class EmailTaken(ValueError):
    """An account already uses this e-mail address."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    *,
    invited_by: User | None = None,
    privacy_accepted: bool = False,
) -> User:
    """A new account; ``password`` None leaves it waiting for an invitation link.

    An account created by someone (``invited_by``) is a ``user.invited`` security event.
    Raises EmailTaken when an account already uses ``email`` (also when another request
    creates it at the same moment).
    """
    email = email.strip().lower()
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(
        email=email,
        name=name.strip() or email.split("@")[0],
        role=role.value,
        password_hash=hash_password(password) if password else None,
        privacy_accepted_at=utcnow() if privacy_accepted else None,
        invited_by_id=invited_by.id if invited_by else None,
        invited_at=utcnow() if invited_by else None,
    )
    # The check above can miss an account created at the same moment (two registrations
    # of one address): the unique constraint decides, in a savepoint so that the caller's
    # transaction survives, and the loser hears the same "address taken" as anyone.
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        if find_user_by_email(email) is None:
            raise  # another constraint: not the race this is about
        raise EmailTaken(email) from None
    if invited_by is not None:
        # Here, so every way of inviting someone (staff, co-holders) leaves the same trace.
        record("user.invited", target_id=user.id, email=user.email, role=role.value,
               invited_by_id=invited_by.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, else None. Upgrades old hashes on the way."""
    return check_credentials(email, password)[0]


def check_credentials(email: str, password: str) -> tuple[User | None, str | None]:
    """(user, None) for good credentials, else (None, why) for the security log only:
    ``unknown_address``, ``inactive`` or ``wrong_password``. Same cost in every case."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        verify_password(None, password)  # same cost whether or not the account exists
        return None, "unknown_address" if user is None else "inactive"
    if not verify_password(user.password_hash, password):
        return None, "wrong_password"
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user, None


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    # The owner chose a new password: every e-mailed link dies, earlier failures are forgotten.
    spend_tokens(user)
    throttle.clear(user.email)
    db.session.flush()


def _link_and_expiry(user: User, kind: str) -> tuple[str, str]:
    link = absolute_url("auth.set_password", token=make_password_token(user, kind))
    hours = current_app.config[KINDS[kind]]
    return link, datetime_long(utcnow() + timedelta(hours=hours))


def in_their_language(user: User):
    """Render what is sent to ``user`` in their language (the pole's default if unset)."""
    return force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"])


def send_invitation(user: User, invited_by: User) -> None:
    """E-mail a set-your-password link to an invited person (staff or mentor): queued in
    the caller's transaction, sent after the response, its row deleted once sent. The link
    is never returned: only the invited person may see it. Earlier invitation links die."""
    spend_tokens(user, "invite")
    with in_their_language(user):
        link, until = _link_and_expiry(user, "invite")
        subject = _("Your account on Incubateur")
        body = _(
            "Hello %(name)s,\n\n%(inviter)s invites you to Incubateur, the project follow-up "
            "tool of the pole.\n\nChoose your password here (the link works until %(until)s):"
            "\n%(link)s\n",
            name=user.name, inviter=invited_by.name, link=link, until=until,
        )
    queue_mail(user.email, subject, body, secret=True)


def password_reset_mail(user: User) -> tuple[str, str]:
    """The subject and body of a reset mail, with a new link (flushed), in their language."""
    with in_their_language(user):
        link, until = _link_and_expiry(user, "reset")
        subject = _("Reset your Incubateur password")
        body = _(
            "Hello %(name)s,\n\nSomeone (hopefully you) asked to reset your password on "
            "Incubateur. Choose a new one here (the link works once, until %(until)s):\n"
            "%(link)s\n\nIf you did not ask for it, ignore this message: your password "
            "stays the same.\n",
            name=user.name, link=link, until=until,
        )
    return subject, body


RESET_JOB = "password_reset"


@jobs.handler(RESET_JOB)
def send_reset_if_account(email: str) -> None:
    """The worker's job after a reset request (``RESET_JOB``, payload: the address typed):
    queue a link for the active account that uses ``email``, if any, else nothing. Commits
    the token and the queued mail, a secret one (its row and link deleted once sent), which
    the same worker run then sends."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    subject, body = password_reset_mail(user)
    queue_mail(user.email, subject, body, secret=True)
    db.session.commit()
