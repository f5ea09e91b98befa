"""Writes of committees: sittings (create, edit version-checked, archive, delete when nothing
is on the agenda), the people sitting, the agenda (add, order, remove), a project's review
(decision, scores, conditions, comments, sharing; version-checked), the one-click move to a
stage after a decision. (The criteria are written by incubator/lists/services.py.)

Changes to a project are recorded on its timeline as ``ProjectEvent`` rows (append-only,
``detail`` keeping the sitting's name and date as they were): ``committee_scheduled`` (put on
an agenda), ``committee_decision`` (a decision taken or changed, or its sharing changed:
``shared`` says whether its holders may read it), ``committee_removed``. Services flush,
never commit; they refuse with ``CommitteeError`` (a message for the user) what
docs/committees.md forbids, before writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from ..board.services import BoardError, move_project
from ..extensions import db
from ..labels import COMMITTEE_DECISION_LABELS, STATUS_LABELS
from ..models import (
    SCORE_MAX,
    SCORE_MIN,
    CommitteeCriterion,
    CommitteeDecision,
    CommitteeReview,
    CommitteeScore,
    CommitteeSeat,
    CommitteeSitting,
    Organisation,
    OrganisationContact,
    Partner,
    PartnerContact,
    Project,
    ProjectEvent,
    ProjectStatus,
    Stage,
    User,
    utcnow,
)
from ..versions import save_version

#: Projects that may be put on an agenda: being followed (active) or paused.
AGENDA_STATUSES = (ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)
DECISIONS = frozenset(d.value for d in CommitteeDecision)
#: The timeline events of committees (ProjectEvent.kind).
COMMITTEE_EVENTS = ("committee_scheduled", "committee_decision", "committee_removed")


class CommitteeError(ValueError):
    """A committee change the rules refuse; ``str()`` is the message for the user."""


def _event(project_id: int, kind: str, actor: User | None, sitting: CommitteeSitting,
           at: datetime, **detail) -> ProjectEvent:
    event = ProjectEvent(project_id=project_id, kind=kind, actor_id=actor.id if actor else None,
                         detail={"sitting": sitting.name, "sitting_id": sitting.id,
                                 "held_on": sitting.held_on.isoformat(), **detail}, at=at)
    db.session.add(event)
    return event


def _touch(project: Project, now: datetime) -> None:
    if project.last_activity_at is None or project.last_activity_at < now:
        project.last_activity_at = now


def _open(sitting: CommitteeSitting) -> None:
    """Raises CommitteeError when the sitting is archived (read only until brought back)."""
    if sitting.is_archived:
        raise CommitteeError(_("This sitting is archived: bring it back before changing it."))


# Sittings ----------------------------------------------------------------------------


def create_sitting(actor: User | None, *, name: str, held_on: date, place: str = "",
                   notes: str = "", now: datetime | None = None) -> CommitteeSitting:
    """A new sitting (``now`` back-dates the record: demo data only)."""
    now = now or utcnow()
    sitting = CommitteeSitting(name=name, held_on=held_on, place=place, notes=notes,
                               created_by_id=actor.id if actor else None, created_at=now,
                               updated_at=now)
    db.session.add(sitting)
    db.session.flush()
    return sitting


def update_sitting(sitting: CommitteeSitting, seen_version: int | None, *, name: str,
                   held_on: date, place: str, notes: str) -> None:
    """Change a sitting's name, date, place or notes, if it is still at ``seen_version``.
    Raises versions.StaleVersion (changed since)."""
    save_version(sitting, seen_version, name=name, held_on=held_on, place=place, notes=notes,
                 updated_at=utcnow())


def set_archived(sitting: CommitteeSitting, archived: bool, seen_version: int | None) -> None:
    """Archive a sitting (it leaves the list, keeps its reviews) or bring it back.
    Raises versions.StaleVersion."""
    now = utcnow()
    save_version(sitting, seen_version, archived_at=now if archived else None, updated_at=now)


def check_deletable(sitting: CommitteeSitting) -> None:
    """Raises CommitteeError when projects are on the sitting's agenda (archive it
    instead): their reviews are history."""
    if db.session.scalar(select(exists().where(CommitteeReview.sitting_id == sitting.id))):
        raise CommitteeError(_("%(name)s cannot be deleted: projects are on its agenda. "
                               "Archive it instead.", name=sitting.name))


def delete_sitting(sitting: CommitteeSitting, seen_version: int | None) -> None:
    """Delete a sitting with nothing on its agenda (its seats go with it).

    Raises CommitteeError (projects are on its agenda: archive it instead) or
    versions.StaleVersion."""
    check_deletable(sitting)
    save_version(sitting, seen_version, updated_at=utcnow())  # the version check
    db.session.execute(delete(CommitteeSeat).where(CommitteeSeat.sitting_id == sitting.id))
    db.session.delete(sitting)
    db.session.flush()


def used_names() -> list[str]:
    """The sitting names already used, most used first (the name field's suggestions)."""
    rows = db.session.execute(
        select(CommitteeSitting.name, func.count()).group_by(CommitteeSitting.name)
        .order_by(func.count().desc(), CommitteeSitting.name).limit(30))
    return [name for name, _count in rows]


# People sitting ----------------------------------------------------------------------


def add_seat(sitting: CommitteeSitting, *, name: str = "", role: str = "",
             partner: Partner | None = None, organisation: Organisation | None = None,
             partner_contact: PartnerContact | None = None,
             organisation_contact: OrganisationContact | None = None) -> CommitteeSeat:
    """Someone sits at ``sitting``: a partner's or an organisation's contact person (their
    name and role copied as they are now), or a person named here with their body (a
    partner or an organisation, or none).

    Raises CommitteeError: no name, a contact of another body, two bodies, or the sitting
    is archived."""
    _open(sitting)
    if partner_contact is not None:
        partner = partner or db.session.get(Partner, partner_contact.partner_id)
        if partner_contact.partner_id != partner.id:
            raise CommitteeError(_("Choose a contact person of that partner."))
        name, role = name or partner_contact.name, role or partner_contact.role
    if organisation_contact is not None:
        organisation = organisation or db.session.get(Organisation,
                                                      organisation_contact.organisation_id)
        if organisation_contact.organisation_id != organisation.id:
            raise CommitteeError(_("Choose a contact person of that organisation."))
        name, role = name or organisation_contact.name, role or organisation_contact.role
    if partner is not None and organisation is not None:
        raise CommitteeError(_("Choose either a partner or an organisation."))
    if not name.strip():
        raise CommitteeError(_("Choose a contact person or enter a name."))
    seat = CommitteeSeat(
        sitting_id=sitting.id, name=name.strip()[:120], role=role.strip()[:120],
        partner_id=partner.id if partner else None,
        organisation_id=organisation.id if organisation else None,
        partner_contact_id=partner_contact.id if partner_contact else None,
        organisation_contact_id=organisation_contact.id if organisation_contact else None)
    db.session.add(seat)
    db.session.flush()
    return seat


def remove_seat(sitting: CommitteeSitting, seat: CommitteeSeat) -> None:
    """Someone no longer sits at ``sitting``. Raises CommitteeError (archived sitting)."""
    _open(sitting)
    db.session.delete(seat)
    db.session.flush()


# The agenda --------------------------------------------------------------------------


def add_to_agenda(actor: User | None, sitting: CommitteeSitting, project: Project, *,
                  now: datetime | None = None) -> CommitteeReview:
    """Put ``project`` (active or paused) at the end of the sitting's agenda; recorded on its
    timeline (``committee_scheduled``).

    Raises CommitteeError: the project is a draft or closed, already on the agenda, or the
    sitting is archived."""
    _open(sitting)
    if project.status not in AGENDA_STATUSES:
        raise CommitteeError(_("Only projects in progress or paused can be put on an agenda."))
    now = now or utcnow()
    last = db.session.scalar(select(func.max(CommitteeReview.position)).where(
        CommitteeReview.sitting_id == sitting.id)) or 0
    review = CommitteeReview(sitting_id=sitting.id, project_id=project.id, position=last + 1,
                             created_by_id=actor.id if actor else None, created_at=now,
                             updated_at=now)
    try:
        # The unique constraint decides between two additions made at the same moment.
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError:
        raise CommitteeError(_("%(title)s is already on the agenda.",
                               title=project.title)) from None
    _touch(project, now)
    _event(project.id, "committee_scheduled", actor, sitting, now)
    db.session.flush()
    return review


def _renumber(reviews: list) -> None:
    for index, item in enumerate(reviews, 1):
        if item.position != index:
            item.position = index


def move_on_agenda(sitting: CommitteeSitting, review: CommitteeReview, direction: str) -> bool:
    """Move a project one place ``up`` or ``down`` the agenda; False when it cannot go
    further. Raises CommitteeError (archived sitting)."""
    _open(sitting)
    reviews = list(db.session.scalars(
        select(CommitteeReview).where(CommitteeReview.sitting_id == sitting.id)
        .order_by(CommitteeReview.position, CommitteeReview.id)))
    index = next(i for i, r in enumerate(reviews) if r.id == review.id)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(reviews):
        return False
    reviews[index], reviews[other] = reviews[other], reviews[index]
    _renumber(reviews)
    db.session.flush()
    return True


def remove_from_agenda(actor: User | None, sitting: CommitteeSitting, review: CommitteeReview,
                       project_id: int) -> None:
    """Take a project off the agenda (its scores go with it), while no decision was taken;
    recorded on its timeline (``committee_removed``).

    Raises CommitteeError: a decision was taken (change it instead), or the sitting is
    archived."""
    _open(sitting)
    if review.decision is not None:
        raise CommitteeError(_("A decision was taken on this project: it stays on the "
                               "agenda."))
    now = utcnow()
    db.session.delete(review)
    _event(project_id, "committee_removed", actor, sitting, now)
    db.session.flush()


# Reviews -----------------------------------------------------------------------------


def check_score(value: int | None) -> None:
    """Raises CommitteeError for a score out of SCORE_MIN to SCORE_MAX (None: not scored)."""
    if value is not None and not SCORE_MIN <= value <= SCORE_MAX:
        raise CommitteeError(_("A score is a whole number from %(min)d to %(max)d.",
                               min=SCORE_MIN, max=SCORE_MAX))


def save_review(actor: User | None, sitting: CommitteeSitting, review: CommitteeReview,
                seen_version: int | None, *, decision: str | None,
                scores: Mapping[int, int | None], conditions: str = "", comments: str = "",
                shared: bool = False, now: datetime | None = None) -> bool:
    """Write a review (decision or None for "not yet", a score or None per ACTIVE criterion
    in ``scores``, conditions, internal comments, whether the decision and conditions are
    shared with the holders), if it is still at ``seen_version``. Scores on criteria
    retired since are kept as they are. A new decision, or a change of its sharing, is
    recorded on the project's timeline (``committee_decision``). Returns whether anything
    changed.

    Raises CommitteeError (unknown decision, a score out of range or on a criterion that is
    not active, conditions missing for "favourable with conditions", sharing without a
    decision, archived sitting) or versions.StaleVersion."""
    _open(sitting)
    if decision is not None and decision not in DECISIONS:
        raise CommitteeError(_("Choose a decision."))
    if decision == CommitteeDecision.GO_WITH_CONDITIONS and not conditions.strip():
        raise CommitteeError(_("Write the conditions of a favourable decision with "
                               "conditions."))
    if shared and decision is None:
        raise CommitteeError(_("There is no decision to share yet."))
    active = set(db.session.scalars(select(CommitteeCriterion.id).where(
        CommitteeCriterion.active)))
    if set(scores) - active:
        raise CommitteeError(_("A criterion was retired since you opened the page: look at "
                               "the review again."))
    for value in scores.values():
        check_score(value)
    now = now or utcnow()
    existing = {s.criterion_id: s for s in db.session.scalars(
        select(CommitteeScore).where(CommitteeScore.review_id == review.id))}
    values: dict = {"conditions": conditions, "comments": comments,
                    "shared_with_holders": shared, "decision": decision}
    if decision != review.decision:
        values.update(decided_at=now if decision else None,
                      decided_by_id=actor.id if actor and decision else None)
    fields_changed = any(getattr(review, k) != v for k, v in values.items())
    scores_changed = any(
        (existing[c].score if c in existing else None) != v for c, v in scores.items())
    if not fields_changed and not scores_changed:
        return False
    decision_changed = decision != review.decision
    sharing_changed = shared != review.shared_with_holders
    save_version(review, seen_version, updated_at=now, **values)
    for criterion_id, value in scores.items():
        score = existing.get(criterion_id)
        if value is None and score is not None:
            db.session.delete(score)
        elif value is not None and score is None:
            db.session.add(CommitteeScore(review_id=review.id, criterion_id=criterion_id,
                                          score=value))
        elif value is not None and score.score != value:
            score.score = value
    if decision is not None and (decision_changed or sharing_changed):
        _event(review.project_id, "committee_decision", actor, sitting, now,
               decision=decision, shared=shared, review_id=review.id)
    project = db.session.get(Project, review.project_id)
    _touch(project, now)
    db.session.flush()
    return True


def decision_comment(review: CommitteeReview) -> str:
    """The stage move's comment after a decision: its label (in the pole's language at the
    time of the move) and the conditions."""
    label = str(COMMITTEE_DECISION_LABELS[review.decision])
    conditions = review.conditions.strip()
    if not conditions:
        return label
    return _("%(decision)s: %(conditions)s", decision=label, conditions=conditions)


def move_after_decision(actor: User, sitting: CommitteeSitting, review: CommitteeReview,
                        project: Project, stage_id: int, seen_version: int | None) -> Stage:
    """The one-click move after a decision: ``project`` goes to stage ``stage_id`` with the
    decision (and its conditions) as the move's comment, and the review records it.

    Raises CommitteeError (the sitting is archived, no decision yet, the project is not in
    progress — closed or paused —, already at that stage, or a board refusal with its
    message) or board.services.Conflict (the project changed since ``seen_version``)."""
    _open(sitting)
    if review.decision is None:
        raise CommitteeError(_("Take a decision before moving the project."))
    if project.status != ProjectStatus.ACTIVE:
        raise CommitteeError(_("Only a project in progress can be moved: this one is %(status)s.",
                               status=_status_label(project.status)))
    if project.stage_id == stage_id:
        raise CommitteeError(_("The project is already at this stage."))
    if seen_version is None:
        seen_version = -1  # a page that cannot say what it showed: a conflict
    try:
        # The committee's decision is the deliberate act: exit criteria still unticked are
        # recorded with the move, not asked about (docs/checklists.md).
        move_project(project, actor, stage_id=stage_id, seen_version=seen_version,
                     comment=decision_comment(review), leave_unticked=True)
    except BoardError as error:
        if error.status == 409:
            raise
        raise CommitteeError(_("This stage cannot be chosen.")) from error
    review.moved_to_stage_id = stage_id
    db.session.flush()
    return db.session.get(Stage, stage_id)


def _status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status)).lower()
