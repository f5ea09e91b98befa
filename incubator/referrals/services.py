"""Writes of referrals: record one (``refer``), change its outcome, note or reason, delete
it, and create a partner on the fly (the close form's "not in the list" name).

Each change is a ``ProjectEvent`` on the project's timeline (append-only, ``partner_id``
set so the partner's page can list it too; its ``detail`` keeps the partner's name, the
direction and the outcome as they were, never the reason, which holders do not read):
kinds ``referral_added``, ``referral_changed``, ``referral_deleted``. Services flush, never
commit; they refuse with ``ReferralError`` (a message for the user) before writing anything.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete

from ..extensions import db
from ..i18n import pole_today
from ..models import (
    Partner,
    PartnerKind,
    Project,
    ProjectEvent,
    Referral,
    ReferralDirection,
    ReferralOutcome,
    User,
    utcnow,
)
from ..versions import StaleVersion, save_version
from . import queries

REASON_MAX = 2000
NOTE_MAX = 2000
PARTNER_NAME_MAX = 200


class ReferralError(ValueError):
    """A referral change the rules refuse; ``str()`` is the message for the user."""


def _touch(project: Project, now: datetime) -> None:
    # Activity on the project; never moved back in time (demo data is back-dated).
    if project.last_activity_at is None or project.last_activity_at < now:
        project.last_activity_at = now


def _event(project: Project, kind: str, actor: User | None, at: datetime,
           partner: Partner, referral: Referral, **detail) -> None:
    detail = {"partner": partner.display_name, "direction": referral.direction,
              "outcome": referral.outcome, "referred_on": referral.referred_on.isoformat(),
              **detail}
    db.session.add(ProjectEvent(project_id=project.id, kind=kind, partner_id=partner.id,
                                actor_id=actor.id if actor else None, detail=detail, at=at))


def _check(direction: str, outcome: str) -> None:
    """Raises ReferralError: ``direction`` or ``outcome`` is not a known code."""
    if direction not in {d.value for d in ReferralDirection}:
        raise ReferralError(_("Choose a direction."))
    if outcome not in {o.value for o in ReferralOutcome}:
        raise ReferralError(_("Choose an outcome."))


def refer(actor: User | None, project: Project, partner: Partner, *, direction: str,
          referred_on: date, reason: str = "", outcome: str = ReferralOutcome.PENDING.value,
          outcome_note: str = "", now: datetime | None = None) -> Referral:
    """Record that ``project`` was referred to ``partner`` (``direction`` "outgoing") or by
    it ("incoming") on ``referred_on``, with ``reason`` and ``outcome``. ``partner`` must
    have its organisation loaded when it is one (its name is kept in the event). ``now``
    back-dates the record (demo data only). The permission is the caller's
    (``permissions.can_manage_referrals``).

    Raises ReferralError: unknown direction or outcome, an archived partner, or a date
    after today in the pole's time zone."""
    _check(direction, outcome)
    if partner.is_archived:
        raise ReferralError(_("%(name)s is archived: choose another partner.",
                              name=partner.display_name))
    now = now or utcnow()
    if referred_on > pole_today(now):
        raise ReferralError(_("A referral is recorded once made: choose a day until today."))
    referral = Referral(project_id=project.id, partner_id=partner.id, direction=direction,
                        referred_on=referred_on, reason=reason[:REASON_MAX], outcome=outcome,
                        outcome_note=outcome_note[:NOTE_MAX],
                        created_by_id=actor.id if actor else None, created_at=now,
                        updated_at=now)
    db.session.add(referral)
    _touch(project, now)
    _event(project, "referral_added", actor, now, partner, referral)
    db.session.flush()
    return referral


def change_referral(actor: User | None, project: Project, referral: Referral, *,
                    outcome: str, outcome_note: str, reason: str,
                    seen_version: int | None) -> list[str]:
    """Change a referral's outcome, outcome note or reason, if it is still at
    ``seen_version``. Returns the names of the fields changed (none: nothing written).
    ``referral.partner`` (and its organisation) must be loaded.

    Raises ReferralError (unknown outcome) or versions.StaleVersion (changed or deleted
    since)."""
    _check(referral.direction, outcome)
    values = {"outcome": outcome, "outcome_note": outcome_note[:NOTE_MAX],
              "reason": reason[:REASON_MAX]}
    changed = [name for name, value in values.items() if getattr(referral, name) != value]
    if not changed:
        return []
    before = referral.outcome
    now = utcnow()
    save_version(referral, seen_version, updated_at=now, **values)
    _touch(project, now)
    _event(project, "referral_changed", actor, now, referral.partner, referral,
           from_outcome=before, fields=changed)
    db.session.flush()
    return changed


def delete_referral(actor: User | None, project: Project, referral: Referral,
                    seen_version: int | None) -> None:
    """Delete a referral recorded by mistake; the timeline keeps that it existed (its
    partner, direction and outcome). ``referral.partner`` must be loaded.

    Raises versions.StaleVersion (changed or deleted since ``seen_version``)."""
    if seen_version is None or seen_version != referral.version:
        raise StaleVersion()
    result = db.session.execute(
        delete(Referral).where(Referral.id == referral.id, Referral.version == seen_version)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleVersion()
    now = utcnow()
    _touch(project, now)
    _event(project, "referral_deleted", actor, now, referral.partner, referral)
    db.session.expunge(referral)
    db.session.flush()


def new_partner(actor: User | None, name: str) -> Partner:
    """The partner body named ``name`` where a form names a body that is not in the list:
    the partner already there by that name (typed again rather than chosen: never entered
    twice), else a new one (kind "other": the partners' directory completes it later).

    Raises ReferralError when the name has nothing to read (empty, or only invisible
    characters)."""
    name = " ".join(name.split())[:PARTNER_NAME_MAX]
    if not any(char.isalnum() for char in name):
        raise ReferralError(_("Enter the name of the partner body."))
    existing = queries.partner_named(name)
    if existing is not None:
        return existing
    partner = Partner(name=name, kind=PartnerKind.OTHER.value,
                      created_by_id=actor.id if actor else None)
    db.session.add(partner)
    db.session.flush()
    return partner
