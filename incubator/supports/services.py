"""Writes of supports: add a support to a project, move its status, change its partner,
kind, programme or comment, delete it.

Each change is a ``ProjectEvent`` on the project's timeline (append-only, with
``partner_id`` set and a ``detail`` keeping the partner's name, the kind and the amounts as
they were: kinds ``support_added``, ``support_status``, ``support_changed``,
``support_deleted``); each status set is a ``SupportStatusChange`` row (the first one, from
None, at the creation). Services flush, never commit; they refuse with ``SupportsError``
(a message for the user) what the rules of docs/supports.md forbid, before writing anything.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..i18n import date_long, pole_today
from ..labels import SUPPORT_STATUS_LABELS as LABELS
from ..models import (
    FINANCIAL_SUPPORT_KINDS,
    SUPPORT_TRANSITIONS,
    Organisation,
    Partner,
    Project,
    ProjectEvent,
    Support,
    SupportKind,
    SupportStatus,
    SupportStatusChange,
    User,
    utcnow,
)
from ..versions import StaleVersion, check_version, save_version

MAX_AMOUNT = Decimal(100_000_000)  # euros: above, a typing mistake
MAX_CENTS = int(MAX_AMOUNT * 100)
KINDS = frozenset(k.value for k in SupportKind)
STATUSES = frozenset(s.value for s in SupportStatus)


class SupportsError(ValueError):
    """A support change the rules refuse; ``str()`` is the message for the user."""


def to_cents(amount: Decimal | None) -> int | None:
    """Euros (at most two decimals, as the forms read them) to exact integer cents.

    Raises SupportsError: more than two decimals."""
    if amount is None:
        return None
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise SupportsError(_("Enter at most 2 decimals."))
    return int(cents)


def _check_amount(kind: str, amount_cents: int | None) -> None:
    """Raises SupportsError: no amount for a financial kind, or out of range."""
    if amount_cents is None:
        if kind in FINANCIAL_SUPPORT_KINDS:
            raise SupportsError(_("Enter the amount of this support, for example 12 500."))
        return
    if amount_cents < 0 or amount_cents > MAX_CENTS:
        raise SupportsError(_("Enter an amount between 0 and 100 million euros."))


def _touch(project: Project, now: datetime) -> None:
    if project.last_activity_at is None or project.last_activity_at < now:
        project.last_activity_at = now


def _partner_name(partner: Partner) -> str:
    # display_name reads the organisation (loaded by the routes' queries, else one read).
    if partner.organisation_id is not None and "organisation" not in partner.__dict__:
        return db.session.get(Organisation, partner.organisation_id).name
    return partner.display_name


def _name_of(support: Support) -> str:
    # The support's partner from the identity map when the route loaded it, else one read.
    return _partner_name(db.session.get(Partner, support.partner_id))


def _event(project: Project, event_kind: str, actor: User | None, partner_id: int | None,
           at: datetime, /, **detail) -> ProjectEvent:
    event = ProjectEvent(project_id=project.id, kind=event_kind, partner_id=partner_id,
                         actor_id=actor.id if actor else None, detail=detail, at=at)
    db.session.add(event)
    return event


def add_support(actor: User | None, project: Project, partner: Partner, *, kind: str,
                amount_cents: int | None, status: str = SupportStatus.ENVISAGED.value,
                status_on: date, programme: str = "", comment: str = "",
                now: datetime | None = None) -> Support:
    """A new support of ``partner`` to ``project``, at ``status`` since ``status_on``,
    with its first status change (from None) carrying the amount (recorded paid: a granted
    change first, the same day). ``now`` back-dates the record (demo data only).

    Raises SupportsError: unknown kind or status, an archived partner, a financial kind
    without an amount, an amount out of [0, 100 million €], a day after today."""
    if kind not in KINDS:
        raise SupportsError(_("Choose a kind of support."))
    if status not in STATUSES:
        raise SupportsError(_("Choose a status."))
    if partner.is_archived:
        raise SupportsError(_("%(name)s is archived: choose another partner.",
                              name=_partner_name(partner)))
    _check_amount(kind, amount_cents)
    now = now or utcnow()
    if status_on > pole_today(now):
        raise SupportsError(_("The date cannot be in the future: record a status once it "
                              "is reached."))
    support = Support(project_id=project.id, partner_id=partner.id, kind=kind,
                      amount_cents=amount_cents, status=status, status_on=status_on,
                      programme=programme, comment=comment,
                      created_by_id=actor.id if actor else None, created_at=now,
                      updated_at=now)
    db.session.add(support)
    db.session.flush()
    # A support recorded once paid was granted first (paid only once granted): the grant
    # is kept as its first step, the same day, so the partner's granted totals count it.
    steps = ([SupportStatus.GRANTED.value] if status == SupportStatus.PAID.value else []) + [
        status]
    previous = None
    for step in steps:
        db.session.add(SupportStatusChange(
            support_id=support.id, from_status=previous, to_status=step,
            changed_on=status_on, amount_cents=amount_cents,
            changed_by_id=actor.id if actor else None, changed_at=now))
        previous = step
    _touch(project, now)
    _event(project, "support_added", actor, partner.id, now, partner=_partner_name(partner),
           kind=kind, status=status, amount_cents=amount_cents,
           status_on=status_on.isoformat(), programme=programme)
    db.session.flush()
    return support


def move_status(actor: User | None, project: Project, support: Support, *, to_status: str,
                changed_on: date, amount_cents: int | None, comment: str = "",
                seen_version: int | None, now: datetime | None = None) -> SupportStatusChange:
    """Move ``support`` to ``to_status`` on ``changed_on`` with the amount at this step
    (granted may be less than requested), if it is still at ``seen_version``.

    Raises SupportsError (a move ``SUPPORT_TRANSITIONS`` refuses: paid before granted,
    anything once paid; a day before the previous change or after today; an amount
    missing or out of range) or versions.StaleVersion (changed since)."""
    check_version(support, seen_version)
    if to_status not in SUPPORT_TRANSITIONS.get(support.status, frozenset()):
        raise SupportsError(_refused_move(support.status, to_status))
    _check_amount(support.kind, amount_cents)
    now = now or utcnow()
    if changed_on < support.status_on:
        raise SupportsError(_("The previous status dates from %(date)s: choose a day from "
                              "then.", date=date_long(support.status_on)))
    if changed_on > pole_today(now):
        raise SupportsError(_("The date cannot be in the future: record a status once it "
                              "is reached."))
    from_status = support.status
    save_version(support, seen_version, where=(Support.status == from_status,),
                 status=to_status, status_on=changed_on, amount_cents=amount_cents,
                 updated_at=now)
    change = SupportStatusChange(
        support_id=support.id, from_status=from_status, to_status=to_status,
        changed_on=changed_on, amount_cents=amount_cents, comment=comment,
        changed_by_id=actor.id if actor else None, changed_at=now)
    db.session.add(change)
    _touch(project, now)
    _event(project, "support_status", actor, support.partner_id, now,
           partner=_name_of(support), kind=support.kind, from_status=from_status,
           status=to_status, amount_cents=amount_cents, status_on=changed_on.isoformat())
    db.session.flush()
    return change


def _refused_move(from_status: str, to_status: str) -> str:
    if from_status == SupportStatus.PAID.value:
        return _("This support has been paid: its status can no longer change.")
    if to_status == SupportStatus.PAID.value:
        return _("A support is paid only once granted: record the grant first.")
    if to_status not in STATUSES:
        return _("Choose a status.")
    return _("A support cannot go from “%(source)s” to “%(target)s”.",
             source=str(LABELS.get(from_status, from_status)),
             target=str(LABELS.get(to_status, to_status)))


def change_support(actor: User | None, project: Project, support: Support, partner: Partner,
                   *, kind: str, programme: str, comment: str, seen_version: int | None,
                   now: datetime | None = None) -> list[str]:
    """Change a support's partner, kind, programme or comment, if it is still at
    ``seen_version``. Returns the names of the fields changed (none: nothing written).

    Raises SupportsError (unknown kind, an archived partner newly chosen, a financial kind
    for a support without an amount) or versions.StaleVersion (changed since)."""
    if kind not in KINDS:
        raise SupportsError(_("Choose a kind of support."))
    if partner.id != support.partner_id and partner.is_archived:
        raise SupportsError(_("%(name)s is archived: choose another partner.",
                              name=_partner_name(partner)))
    if kind in FINANCIAL_SUPPORT_KINDS and support.amount_cents is None:
        raise SupportsError(_("This support has no amount: a grant, loan, honour loan or "
                              "guarantee needs one. Record it with its next status first."))
    values = {"partner_id": partner.id, "kind": kind, "programme": programme,
              "comment": comment}
    changed = [name for name, value in values.items() if getattr(support, name) != value]
    if not changed:
        check_version(support, seen_version)
        return []
    now = now or utcnow()
    save_version(support, seen_version, updated_at=now, **values)
    set_committed_value(support, "partner", partner)
    _touch(project, now)
    _event(project, "support_changed", actor, partner.id, now,
           partner=_partner_name(partner), kind=kind, changed=changed,
           amount_cents=support.amount_cents)
    db.session.flush()
    return changed


def delete_support(actor: User | None, project: Project, support: Support,
                   seen_version: int | None, now: datetime | None = None) -> None:
    """Delete ``support`` and its status history, if it is still at ``seen_version``; the
    project's timeline keeps a ``support_deleted`` event with the partner's name, the kind,
    the status and the amount.

    Raises versions.StaleVersion (changed or deleted since)."""
    check_version(support, seen_version)
    now = now or utcnow()
    name = _name_of(support)
    result = db.session.execute(
        delete(Support).where(Support.id == support.id, Support.version == seen_version)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleVersion()
    # The history goes with it (the foreign key cascades on PostgreSQL; SQLite does not
    # enforce it).
    db.session.execute(delete(SupportStatusChange).where(
        SupportStatusChange.support_id == support.id).execution_options(
        synchronize_session=False))
    db.session.expunge(support)
    _touch(project, now)
    _event(project, "support_deleted", actor, support.partner_id, now, partner=name,
           kind=support.kind, status=support.status, amount_cents=support.amount_cents)
    db.session.flush()
