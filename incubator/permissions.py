"""Who may see or change what. The one place every blueprint asks.

Rules (PRODUCT.md): a holder sees only their own projects; a mentor only the projects they
mentor now (a current mentorship whose contact person is their account, see "Mentors"
below); staff (advisors, managers) see everything. Object access that fails answers 404, so
ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from .extensions import db
from .models import (
    STAFF_ROLES,
    CommitteeReview,
    Document,
    Erasure,
    Mentorship,
    NextStep,
    Note,
    OrganisationContact,
    Project,
    ProjectHolder,
    ProjectStatus,
    Role,
    User,
    Visibility,
)


def roles_required(*roles: Role) -> Callable:
    """Route decorator: logged in, and with one of ``roles`` (403 otherwise)."""
    allowed = {r.value for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


IDEA_AUTHORS = (Role.HOLDER, Role.ADVISOR, Role.MANAGER)  # who may submit a project idea

staff_required = roles_required(*STAFF_ROLES)
manager_required = roles_required(Role.MANAGER)
idea_author_required = roles_required(*IDEA_AUTHORS)


# Rules about a role only (the header's links, the home page).

def can_use_board(user: User) -> bool:
    """The kanban board: staff."""
    return user.is_staff


def can_administer(user: User) -> bool:
    """The user list, invitations and roles: managers."""
    return user.is_manager


def can_reset_two_factor(user: User, target: User) -> bool:
    """A manager may remove someone else's second factor (a lost phone, no recovery code
    left); never their own: that goes through a recovery code or another manager (issue 14)."""
    return user.is_manager and target.id != user.id


def two_factor_required(user: User, required_roles: Collection[str]) -> bool:
    """Whether ``user`` must use two-factor authentication: their role is among
    ``required_roles`` (the managers' « Sécurité » settings); never a holder (issue 14)."""
    return not user.is_holder and user.role in required_roles


def can_submit_idea(user: User) -> bool:
    """Submit a project idea: holders and staff (not mentors)."""
    return user.role in {r.value for r in IDEA_AUTHORS}


def can_read_directory(user: User) -> bool:
    """The organisations directory (/members): staff, and mentors (read only)."""
    return user.is_staff or user.role == Role.MENTOR


def can_edit_directory(user: User) -> bool:
    """Create, edit, archive or delete an organisation of the directory: staff."""
    return user.is_staff


def can_see_contacts(user: User) -> bool:
    """An organisation's contact people (names, e-mail, phone: personal data): staff."""
    return user.is_staff


def has_next_steps(user: User) -> bool:
    """The "next steps" page across one's projects (only one's own steps): staff, holders
    and mentors."""
    return user.is_staff or user.is_holder or is_mentor(user)


def can_be_advisor(user: User) -> bool:
    """Who may be named a project's advisor (or be given a next step as staff): active
    staff whose invitation is accepted (a password chosen): someone who cannot log in yet
    is never handed work. ``active_staff`` is the same rule in SQL."""
    return user.active and user.is_staff and user.has_password


def may_have_advised(user: User) -> bool:
    """Who an advisor filter (exports, review) may name: staff, past or present (a
    deactivated advisor still advised the projects of their time)."""
    return user.is_staff


def is_pending_staff(user: User) -> bool:
    """Active staff invited by a manager who have not chosen a password yet (the reason,
    told to the user, why they may not be named advisor)."""
    return user.active and user.is_staff and not user.has_password


def can_be_assigned(user: User) -> bool:
    """Whether anyone (staff or holder) may be given work: an active account whose
    invitation is no longer pending."""
    return user.active and user.has_password


def can_be_holder(user: User) -> bool:
    """Who may be added as a project's holder: holder accounts only."""
    return user.is_holder


def active_staff() -> ColumnElement[bool]:
    """``can_be_advisor`` as a WHERE clause on ``User``."""
    return and_(User.role.in_([r.value for r in STAFF_ROLES]), User.active,
                User.password_hash.is_not(None))


def visible_projects(user: User, statement: Select | None = None) -> Select:
    """Restrict a project query to what ``user`` may see."""
    statement = statement if statement is not None else select(Project)
    if user.is_staff:
        return statement
    if user.role == Role.HOLDER:
        return statement.where(
            exists().where(
                ProjectHolder.project_id == Project.id, ProjectHolder.user_id == user.id
            )
        )
    if is_mentor(user):
        return statement.where(_mentors_now(user.id))
    return statement.where(False)


def is_holder_of(user: User, project: Project) -> bool:
    return any(link.user_id == user.id for link in project.holder_links)


def can_edit_description(user: User, project: Project, early_stage_ids: Collection[int]) -> bool:
    """Staff always; holders while the project is a draft or in one of the first stages
    (``early_stage_ids``: the first two active stages, see ``reference.early_stage_ids``)."""
    if user.is_staff:
        return True
    if not is_holder_of(user, project):
        return False
    if project.status == ProjectStatus.DRAFT:
        return True
    return project.status == ProjectStatus.ACTIVE and project.stage_id in early_stage_ids


def sees_internal(user: User, project: Project) -> bool:
    """Internal documents, staff's internal notes and the notes' earlier versions: staff.
    (A mentor reads the internal notes of the project's mentors: ``visible_notes``.)"""
    return user.is_staff


def can_follow_up(user: User, project: Project) -> bool:
    """Write notes, add next steps, mark documents internal: staff."""
    return user.is_staff


def can_manage_people(user: User, project: Project) -> bool:
    """Name the advisor, add or remove holders, see holders' e-mail addresses: staff."""
    return user.is_staff


def can_move(user: User, project: Project) -> bool:
    """Move an active project to another stage, pause or close it: staff."""
    return user.is_staff and project.status == ProjectStatus.ACTIVE


def can_upload_document(user: User, project: Project) -> bool:
    """Staff, and the project's holders."""
    return user.is_staff or is_holder_of(user, project)


def can_delete_document(user: User, project: Project, document: Document) -> bool:
    """Staff; the holder who uploaded a shared document, while the project is open
    (a draft or active)."""
    if user.is_staff:
        return True
    return (
        document.uploaded_by_id == user.id
        and document.is_shared
        and is_holder_of(user, project)
        and project.status in (ProjectStatus.DRAFT, ProjectStatus.ACTIVE)
    )


def can_check_step(user: User, project: Project, step: NextStep) -> bool:
    """Mark a next step done or reopen it: staff, or the holder or current mentor of the
    project the step is assigned to."""
    return can_follow_up(user, project) or (
        step.assignee_id == user.id
        and (is_holder_of(user, project) or is_mentor_of(user, project))
    )


def can_manage_note(user: User, author_id: int | None) -> bool:
    """Edit or delete a note: its author, or a manager."""
    return user.is_manager or (author_id is not None and author_id == user.id)


def visible_project(user: User, project_id: int) -> Project | None:
    """The project with everything its page shows (stage, theme, advisor, legal form,
    holders), if ``user`` may see it. Here rather than in ``projects.queries`` so that this
    module stays a leaf: it imports models only, and every feature may import it."""
    statement = visible_projects(user).where(Project.id == project_id).options(
        joinedload(Project.stage),
        joinedload(Project.theme),
        joinedload(Project.advisor),
        joinedload(Project.legal_form),
        selectinload(Project.holder_links).joinedload(ProjectHolder.user),
    )
    return db.session.scalars(statement).unique().one_or_none()


def visible_project_or_404(project_id: int) -> Project:
    """The project with what its page shows, if the current user may see it; else 404
    (the same answer whether it does not exist or is not theirs, so ids cannot be probed)."""
    project = visible_project(current_user, project_id)
    if project is None:
        abort(404)
    return project


# Mentors (issue 10). A mentor account belongs to an organisation's contact person
# (OrganisationContact.user_id); it sees the projects with a *current* mentorship (ended_on
# None) whose contact person is that account: ending the mentorship ends the access at once.
# Inside such a project a mentor reads the description, stage, advisor, the shared notes and
# the notes of the project's mentors, the next steps assigned to them, the shared documents;
# they write notes and tick their own steps. Nothing else (no board, moves, people, uploads,
# internal documents, staff's internal notes, holders' e-mail addresses).


def is_mentor(user: User) -> bool:
    """A mentor account (what it may see depends on its current mentorships)."""
    return user.role == Role.MENTOR


def has_mentorships_home(user: User) -> bool:
    """"My mentorships" (the projects one mentors now) as home page and menu link: mentors."""
    return is_mentor(user)


def can_invite_mentor(user: User) -> bool:
    """Give a contact person of the directory a mentor account (invitation by e-mail), and
    see which contact people have one: staff."""
    return user.is_staff


def _mentors_now(user_id: int) -> ColumnElement[bool]:
    """EXISTS a current mentorship of ``Project`` whose contact person is account ``user_id``."""
    return exists().where(
        Mentorship.project_id == Project.id,
        Mentorship.ended_on.is_(None),
        Mentorship.contact_id == OrganisationContact.id,
        OrganisationContact.user_id == user_id,
    )


def mentor_accounts(project_id: int, *, current_only: bool = True) -> Select:
    """``SELECT user_id``: the mentor accounts of a project, through the contact person of
    its mentorships (current ones only, unless ``current_only`` is False)."""
    statement = (
        select(OrganisationContact.user_id)
        .join(Mentorship, Mentorship.contact_id == OrganisationContact.id)
        .where(Mentorship.project_id == project_id, OrganisationContact.user_id.is_not(None))
    )
    if current_only:
        statement = statement.where(Mentorship.ended_on.is_(None))
    return statement


def is_mentor_of(user: User, project: Project) -> bool:
    """Whether ``user`` mentors ``project`` now (one indexed query; none for other roles)."""
    if not is_mentor(user):
        return False
    return db.session.scalar(
        select(Project.id).where(Project.id == project.id, _mentors_now(user.id))) is not None


def can_write_note(user: User, project: Project) -> bool:
    """Write a note on a project (then edit or delete one's own: ``can_manage_note``):
    staff, and the project's current mentors."""
    return can_follow_up(user, project) or is_mentor_of(user, project)


def writes_for_mentors(user: User) -> bool:
    """Whether an internal note ``user`` writes is read by the project's mentors too (a
    mentor's own notes), rather than by staff only."""
    return is_mentor(user)


def visible_notes(user: User, project: Project) -> ColumnElement[bool]:
    """A WHERE clause on ``Note``: the notes of ``project`` that ``user`` may read. Staff:
    all; the project's mentors: shared ones and those written by its mentors (current or
    past: "internal" means staff and mentors); anyone else: shared ones."""
    if sees_internal(user, project):
        return true()
    shared = Note.visibility == Visibility.SHARED.value
    if is_mentor_of(user, project):
        return or_(shared, Note.author_id.in_(
            mentor_accounts(project.id, current_only=False).scalar_subquery()))
    return shared


def sees_all_steps(user: User, project: Project) -> bool:
    """Every next step of the project (a mentor sees only those assigned to them): staff
    and holders."""
    return not is_mentor(user)


# Mentoring (issue 10): staff link and end mentorships; hours are logged by staff or by the
# mentor whose contact person is the mentorship's contact, while it is current.

def can_manage_mentoring(user: User) -> bool:
    """Link an organisation to a project as mentor, end a mentorship, see suggestions:
    staff."""
    return user.is_staff


def sees_hours_notes(user: User, project: Project) -> bool:
    """The notes of the hours entries (what was done with the holders): staff and the
    project's current mentors; holders see the dates and hours only."""
    return user.is_staff or is_mentor_of(user, project)


def can_log_hours(user: User, mentorship: Mentorship) -> bool:
    """Log volunteer hours on ``mentorship``: staff, or the mentor account of the
    mentorship's contact person (``OrganisationContact.user_id``) while it is current.
    Reads the contact from the session's identity map when loaded (else one query)."""
    if user.is_staff:
        return True
    if user.role != Role.MENTOR or not mentorship.is_current or mentorship.contact_id is None:
        return False
    contact = db.session.get(OrganisationContact, mentorship.contact_id)
    return contact is not None and contact.user_id == user.id


# Referrals (issue 11): staff record, change and delete referrals; holders and mentors see
# where the project was referred (partner, direction, date, outcome), not the reason nor the
# outcome note, which are the pole's internal assessment.

def can_manage_referrals(user: User) -> bool:
    """Add, change or delete a project's referrals, and name the body a project is
    redirected to when closing it: staff."""
    return user.is_staff


def sees_referral_details(user: User, project: Project) -> bool:
    """The reason and the outcome note of a project's referrals: staff only."""
    return user.is_staff


# Supports (issue 11): staff add, move, change and delete a project's supports; whoever sees
# the project (holders, its current mentors) reads them, without the comments nor who
# changed them.

def can_manage_supports(user: User, project: Project) -> bool:
    """Add a support to ``project``, move its status, change or delete it: staff."""
    return user.is_staff


def sees_support_comments(user: User, project: Project) -> bool:
    """The supports' comments and who changed their status: staff."""
    return user.is_staff


# Working groups (issue 11): staff keep the groups, their participants, meetings, minutes and
# attendance. A project's holders and mentors see on its page the names of its groups and the
# next meeting's day and place, nothing more (minutes and attendance name other people).

def can_manage_groups(user: User) -> bool:
    """The groups pages (/groups), their participants, meetings and calendar: staff."""
    return user.is_staff


# Cohorts (issue 13, part D): managers create, edit and archive cohorts (/admin/cohorts);
# staff (advisors and managers) see a cohort's page and add or remove its projects, there and
# on the project page. Holders and mentors never see cohorts.

def can_edit_cohorts(user: User) -> bool:
    """Create, edit, archive and bring back cohorts (/admin/cohorts): managers."""
    return user.is_manager


def can_follow_cohorts(user: User) -> bool:
    """A cohort's page, adding and removing its projects, the project page's cohorts: staff."""
    return user.is_staff


def can_manage_project_cohorts(user: User, project: Project) -> bool:
    """Add ``project`` to a cohort or take it out, from its page: staff."""
    return can_follow_cohorts(user)


# Partners (issue 11): the partner bodies (/partners) are staff's, as the directory's
# writing is: advisors and managers read and edit them; holders and mentors never see them.

def can_read_partners(user: User) -> bool:
    """The partner bodies (/partners): their list, pages, totals and activity: staff."""
    return user.is_staff


def can_edit_partners(user: User) -> bool:
    """Create, edit, archive or delete a partner, its contacts, or make an organisation of
    the directory a partner: staff."""
    return user.is_staff
# Committees (issue 11): staff keep the sittings, agendas, reviews and who sat; managers keep
# the criteria. On a project's page, staff see every review; its holders and current mentors
# see only decisions shared with the holders (sitting, date, decision, conditions): never
# scores, comments, other projects' reviews or who sat.

def can_manage_committees(user: User) -> bool:
    """Sittings, seats, agendas, reviews and the one-click move after a decision: staff."""
    return user.is_staff


def can_edit_criteria(user: User) -> bool:
    """Add, rename, reorder, retire or delete the committee criteria: managers."""
    return user.is_manager


def sees_committee_details(user: User, project: Project) -> bool:
    """A project's reviews in full (scores, comments, unshared decisions, the sittings'
    pages): staff."""
    return user.is_staff


def visible_reviews(user: User, project: Project) -> ColumnElement[bool]:
    """A WHERE clause on ``CommitteeReview``: the reviews of ``project`` that ``user`` may
    read on its page. Staff: all; anyone else who sees the project: decided and shared."""
    if sees_committee_details(user, project):
        return true()
    return and_(CommitteeReview.decision.is_not(None), CommitteeReview.shared_with_holders)


def sees_committee_event(user: User, project: Project, kind: str, detail: dict) -> bool:
    """A ``committee_*`` event of the project's timeline: staff all; others only a decision
    that was shared with the holders when it was recorded."""
    if sees_committee_details(user, project):
        return True
    return kind == "committee_decision" and bool(detail.get("shared"))


# Rules templates may ask, for the current user: ``can.use_board()``, ``can.move(project)``.
# Templates never test roles themselves (tests/test_permissions_layout.py checks it).
# Exit checklists (issue 13, docs/checklists.md). Managers write a stage's checklist; staff
# tick a project's criteria. Holders and mentors read them: the checklist says what the pole
# expects before the next stage, which is what a holder works towards (read-only: ticking is
# the advisor's judgement that a criterion is met).

def can_edit_checklists(user: User) -> bool:
    """Add, rename, reorder, retire or bring back a stage's exit criteria: managers."""
    return user.is_manager


def can_tick_criteria(user: User, project: Project) -> bool:
    """Tick or untick the exit criteria of a project in progress: staff."""
    return user.is_staff and project.status == ProjectStatus.ACTIVE


def sees_checklist(user: User, project: Project) -> bool:
    """The checklist of a project's current stage: anyone who sees the project (staff, its
    holders, its mentors), once submitted."""
    return project.status != ProjectStatus.DRAFT


TEMPLATE_RULES: dict[str, Callable[..., bool]] = {
    "use_board": can_use_board,
    "administer": can_administer,
    "read_directory": can_read_directory,
    "edit_directory": can_edit_directory,
    "see_contacts": can_see_contacts,
    "submit_idea": can_submit_idea,
    "list_next_steps": has_next_steps,
    "manage_people": can_manage_people,
    "move": can_move,
    "upload_document": can_upload_document,
    "invite_mentor": can_invite_mentor,
    "list_mentorships": has_mentorships_home,
    "manage_mentoring": can_manage_mentoring,
    "log_hours": can_log_hours,
    "see_hours_notes": sees_hours_notes,
    "manage_referrals": can_manage_referrals,
    "see_referral_details": sees_referral_details,
    "manage_supports": can_manage_supports,
    "see_support_comments": sees_support_comments,
    "manage_groups": can_manage_groups,
    "edit_cohorts": can_edit_cohorts,
    "follow_cohorts": can_follow_cohorts,
    "read_partners": can_read_partners,
    "edit_partners": can_edit_partners,
    "manage_committees": can_manage_committees,
    "edit_criteria": can_edit_criteria,
    "see_committee_details": sees_committee_details,
    "edit_checklists": can_edit_checklists,
    "tick_criteria": can_tick_criteria,
}


# The person's own account (issue 14): every logged-in user has /account and may ask the
# pole to close it; managers see those requests and answer them (the erasure itself is the
# managers' too).

def can_request_closure(user: User) -> bool:
    """Ask the pole to close my account: every active account (staff included)."""
    return user.active


def can_answer_closure_requests(user: User) -> bool:
    """The list of closure requests, and marking one handled or declined: managers."""
    return user.is_manager


def can_answer_closure(user: User, requester_id: int) -> bool:
    """Answering one closure request: a manager, not their own (another manager does, as
    for the erasure that may follow)."""
    return can_answer_closure_requests(user) and requester_id != user.id


def closure_request_readers() -> ColumnElement[bool]:
    """``can_answer_closure_requests`` as a WHERE clause on ``User``, for accounts that can
    log in (active, invitation accepted): who is told of a new request."""
    return and_(User.role == Role.MANAGER.value, User.active, User.password_hash.is_not(None))


TEMPLATE_RULES["request_closure"] = can_request_closure
TEMPLATE_RULES["answer_closure_requests"] = can_answer_closure_requests
TEMPLATE_RULES["answer_closure"] = can_answer_closure


class CurrentUserRules:
    """``can`` in templates: each rule of ``TEMPLATE_RULES`` asked for the current user
    (False for a visitor who is not logged in)."""

    def __getattr__(self, name: str) -> Callable[..., bool]:
        rule = TEMPLATE_RULES.get(name)
        if rule is None:
            raise AttributeError(name)

        def ask(*args: Any) -> bool:
            return bool(current_user.is_authenticated and rule(current_user, *args))

        return ask


# Accompaniment time (issue 12, part R1): staff log the time they spend with a project's
# people; holders and mentors never see it (it is the pole's own bookkeeping). Who may change
# or delete an entry: the advisor it is logged for, whoever logged it, and managers (a
# manager may log time for any staff member; an advisor only for themselves).

def sees_accompaniment(user: User, project: Project) -> bool:
    """The project's accompaniment time (entries, totals, their timeline lines): staff."""
    return user.is_staff


def can_log_accompaniment(user: User, project: Project) -> bool:
    """Log time spent on ``project``: staff."""
    return user.is_staff


def can_log_accompaniment_for_others(user: User) -> bool:
    """Log (or move) time on behalf of another staff member: managers."""
    return user.is_manager


def can_change_accompaniment(user: User, advisor_id: int | None,
                             created_by_id: int | None) -> bool:
    """Change or delete an entry: managers, the advisor it is logged for, and whoever
    logged it."""
    if not user.is_staff:
        return False
    return user.is_manager or user.id in {advisor_id, created_by_id} - {None}


# Jobs created (issue 12, part R1): the jobs (FTE) a launched project created are recorded by
# staff when they close it as launched, and changed later from its edit form.

def can_record_jobs_created(user: User, project: Project) -> bool:
    """Enter or change the jobs ``project`` created: staff, once it is closed as launched."""
    return (user.is_staff and project.status == ProjectStatus.CLOSED
            and project.outcome == "launched")


# The funders' report (issue 12, /pipeline/report): managers only. PRODUCT.md gives the
# review's exports and what to report to funders to managers; the report names every
# project's abandonment reason and the supports per partner, which advisors have no need
# to export.

def can_read_report(user: User) -> bool:
    """The funders' report and its exports: managers."""
    return user.is_manager


# Territory key figures (issue 12): staff read the ESS establishments and jobs of the
# territory (/pipeline/territory); managers enter the territory's salaried jobs of a year.

def can_read_territory(user: User) -> bool:
    """The territory key figures page and its exports: staff."""
    return user.is_staff


def can_enter_territory_employment(user: User) -> bool:
    """Enter or correct the territory's salaried jobs of a year: managers."""
    return user.is_manager


TEMPLATE_RULES["read_territory"] = can_read_territory
TEMPLATE_RULES["enter_territory_employment"] = can_enter_territory_employment


# Exports (issue 12, F): the entity exports (/exports) are staff's. Managers export every
# project, and the directory with its contact people; an advisor exports the projects they
# advise (their stage moves, supports and accompaniment time too) and the directory without
# contacts; holders and mentors export nothing.

def can_export(user: User) -> bool:
    """The exports page and its downloads: staff."""
    return user.is_staff


def can_export_contacts(user: User) -> bool:
    """The directory's contact people (names, e-mail addresses, phones) in an export:
    managers."""
    return user.is_manager


def exportable_projects(user: User, statement: Select) -> Select:
    """Restrict ``statement`` (over Project) to the projects ``user`` may export: all for a
    manager, the projects an advisor advises, none for anyone else."""
    if user.is_manager:
        return statement
    if user.is_staff:
        return statement.where(Project.advisor_id == user.id)
    return statement.where(false())


# Pipeline review (issue 12): the figures of the pipeline (/pipeline) and their exports are
# staff's, managers and advisors alike; holders and mentors never see them.

def can_review_pipeline(user: User) -> bool:
    """The pipeline review page, its figures and their CSV / XLSX exports: staff."""
    return user.is_staff


TEMPLATE_RULES["review_pipeline"] = can_review_pipeline


# The managers' review's tab bar (templates/pipeline/_tabs.html) asks the same rules.
TEMPLATE_RULES["read_report"] = can_read_report
TEMPLATE_RULES["export"] = can_export


# Right of access and portability (issue 14, GDPR articles 15 and 20; docs/privacy-export.md):
# everyone downloads their own data; a manager produces the same for any person the pole
# holds data about (an account, or a contact person of an organisation or a partner who has
# none), e.g. for a request made by letter. Advisors see these people's data in the tool but
# answering a GDPR request is the controller's act: managers.

def can_export_own_data(user: User) -> bool:
    """Download my data (/account/data): every signed-in account."""
    return user.is_authenticated


def can_export_personal_data(user: User) -> bool:
    """Produce the data export of another person (an account or a contact person): managers."""
    return user.is_manager


TEMPLATE_RULES["export_own_data"] = can_export_own_data
TEMPLATE_RULES["export_personal_data"] = can_export_personal_data
# Right to erasure (issue 14, docs/erasure.md): a manager erases a person on request, never
# their own account (another manager does), nor an account already erased.

def can_erase_people(user: User) -> bool:
    """The erasure pages (/admin/erasures…): managers."""
    return user.is_manager


def can_erase(user: User, target: User) -> bool:
    """Erasing the account ``target``: a manager, and ``target`` is not themselves."""
    return user.is_manager and target.id != user.id


def can_change_account(user: User, target: User) -> bool:
    """Reactivating, changing the role of, or inviting again the account ``target``: a
    manager, and ``target`` was not erased (its shell keeps the history's links only; it
    must never become a usable account again)."""
    return user.is_manager and db.session.scalar(
        select(Erasure.id).where(Erasure.user_id == target.id)) is None


TEMPLATE_RULES["erase_people"] = can_erase_people
TEMPLATE_RULES["erase"] = can_erase


# Retention (issue 14, docs/retention.md): the accounts a closed project's retention period
# erases. Holders' accounts exist for their projects; staff and mentors' accounts are the
# pole's and its members' own (their departure is the team's business, not a project's).

def erased_with_their_projects():
    """The SQL condition on ``User`` of the accounts erased when the retention period of
    every project they hold has ended: holders."""
    return User.role == Role.HOLDER.value


# The worker's queue (issue 15): mails and background jobs that failed or wait for another
# attempt. Managers see them (recipient, subject, error; never a body, which may hold a live
# link) and may have one tried again at once.

def can_manage_outbox(user: User) -> bool:
    """The outbox page (/admin/outbox) and its "retry now": managers."""
    return user.is_manager


TEMPLATE_RULES["manage_outbox"] = can_manage_outbox
