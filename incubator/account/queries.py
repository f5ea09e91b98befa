"""Reads of the account pages: what /account shows of the signed-in person, and the
managers' list of closure requests. Reads only: forms are built by the routes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..auth import sessions
from ..extensions import db
from ..models import ClosureRequest, ClosureStatus, EmailChange, User
from .services import pending_closure, pending_email_change

ANSWERED_SHOWN = 50  # answered or cancelled requests listed under the pending ones


@dataclass(frozen=True)
class AccountSummary:
    """What the account page shows besides the forms: the pending e-mail change, the open
    sessions' number, the pending closure request and the last answered one."""

    email_change: EmailChange | None
    open_sessions: int
    closure: ClosureRequest | None
    last_answer: ClosureRequest | None


def last_answered_closure(user: User) -> ClosureRequest | None:
    """``user``'s most recent request a manager answered (its message stays on the page)."""
    return db.session.scalar(
        select(ClosureRequest).options(joinedload(ClosureRequest.answered_by))
        .where(ClosureRequest.user_id == user.id,
               ClosureRequest.status.in_((ClosureStatus.HANDLED.value,
                                          ClosureStatus.DECLINED.value)))
        .order_by(ClosureRequest.answered_at.desc(), ClosureRequest.id.desc()).limit(1))


def account_summary(user: User) -> AccountSummary:
    """Four small reads, whatever the account's history."""
    return AccountSummary(pending_email_change(user), len(sessions.open_sessions(user)),
                          pending_closure(user), last_answered_closure(user))


def closure_requests() -> tuple[list[ClosureRequest], list[ClosureRequest]]:
    """The pending requests (oldest first: first come, first served) and the last
    ``ANSWERED_SHOWN`` others (newest first), each with its person and answerer loaded."""
    base = select(ClosureRequest).options(joinedload(ClosureRequest.user),
                                          joinedload(ClosureRequest.answered_by))
    pending = list(db.session.scalars(
        base.where(ClosureRequest.status == ClosureStatus.PENDING.value)
        .order_by(ClosureRequest.created_at, ClosureRequest.id)))
    others = list(db.session.scalars(
        base.where(ClosureRequest.status != ClosureStatus.PENDING.value)
        .order_by(ClosureRequest.id.desc()).limit(ANSWERED_SHOWN)))
    return pending, others


def closure_request(request_id: int) -> ClosureRequest | None:
    """One request with its person and answerer, or None."""
    return db.session.scalar(
        select(ClosureRequest).options(joinedload(ClosureRequest.user),
                                       joinedload(ClosureRequest.answered_by))
        .where(ClosureRequest.id == request_id))


def pending_closure_count() -> int:
    """The number the Team settings page shows beside its link (one COUNT)."""
    return db.session.scalar(select(func.count()).select_from(ClosureRequest).where(
        ClosureRequest.status == ClosureStatus.PENDING.value)) or 0
