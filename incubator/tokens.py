"""Single-use, expiring tokens for e-mailed links (invitation, password reset).

A token is 32 random bytes (``secrets.token_urlsafe``): it says nothing about the account
(no readable id or JSON inside) and cannot be forged. The database keeps only its SHA-256
with the user, kind and expiry, so the table holds no live link. Setting the password spends
every token of the account (``spend_tokens``), so each link works once and earlier links die.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .extensions import db
from .models import PasswordToken, User, utcnow

# Link kind -> configuration key of its validity in hours.
KINDS = {"invite": "INVITATION_HOURS", "reset": "RESET_HOURS"}


def digest(secret: str) -> str:
    """The SHA-256 hex digest kept in the database in place of a secret (password links,
    session and remember tokens): 64 characters."""
    return hashlib.sha256(secret.encode()).hexdigest()


def make_password_token(user: User, kind: str) -> str:
    """A new token for ``user``; only its digest is stored (flushed, not committed)."""
    if kind not in KINDS:
        raise ValueError(kind)
    token = secrets.token_urlsafe(32)
    hours = current_app.config[KINDS[kind]]
    db.session.add(PasswordToken(user_id=user.id, kind=kind, token_hash=digest(token),
                                 expires_at=utcnow() + timedelta(hours=hours)))
    db.session.flush()
    return token


def read_password_token(token: str) -> tuple[User, str] | None:
    """The user and link kind of a valid, unexpired, unused token, else None."""
    if not token or len(token) > 128:
        return None
    found = db.session.execute(
        select(PasswordToken.user_id, PasswordToken.kind).where(
            PasswordToken.token_hash == digest(token),
            PasswordToken.used_at.is_(None),
            PasswordToken.expires_at > utcnow(),
        )
    ).first()
    if found is None:
        return None
    user = db.session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    return user, found.kind


def spend_tokens(user: User, kind: str | None = None) -> int:
    """Mark the user's unused tokens (of ``kind``, or all) used; returns how many."""
    statement = update(PasswordToken).where(PasswordToken.user_id == user.id,
                                            PasswordToken.used_at.is_(None))
    if kind is not None:
        statement = statement.where(PasswordToken.kind == kind)
    result = db.session.execute(statement.values(used_at=utcnow())
                                .execution_options(synchronize_session=False))
    return result.rowcount


@dataclass(frozen=True)
class DeadLink:
    """Why a password link no longer works, to tell its holder what to do.

    ``reason``: "expired" (past ``expires_at``), "replaced" (a newer link of the same kind
    was sent: only the latest works), "used" (the account has its password: the link did its
    job), "withdrawn" (the account is deactivated, e.g. an invitation revoked) or "unknown"
    (never issued, mistyped). ``kind`` and ``expired_at`` are None for "unknown"."""

    reason: str
    kind: str | None = None
    expired_at: datetime | None = None


def dead_link(token: str) -> DeadLink:
    """Why ``token`` is refused by ``read_password_token`` (call it after a refusal)."""
    row = None
    if token and len(token) <= 128:
        row = db.session.scalar(select(PasswordToken).where(
            PasswordToken.token_hash == digest(token)))
    if row is None:
        return DeadLink("unknown")
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        reason = "withdrawn"
    elif row.used_at is not None:
        reason = "used" if user.has_password else "replaced"
    else:
        reason = "expired"
    return DeadLink(reason, row.kind, row.expires_at)


def invitation_links(user_ids: list[int]) -> dict[int, list[PasswordToken]]:
    """Every invitation link ever sent to each of ``user_ids``, oldest first (one
    statement): the last is the one that may still work; more than one means it was sent
    again."""
    links: dict[int, list[PasswordToken]] = {}
    if not user_ids:
        return links
    rows = db.session.scalars(
        select(PasswordToken).where(PasswordToken.user_id.in_(user_ids),
                                    PasswordToken.kind == "invite")
        .order_by(PasswordToken.user_id, PasswordToken.id))
    for row in rows:
        links.setdefault(row.user_id, []).append(row)
    return links
