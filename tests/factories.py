"""Plain factory functions for test data. They flush; tests commit when a request follows."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from flask import g, has_app_context
from sqlalchemy import delete, func, select

from incubator.board import services as board
from incubator.extensions import db
from incubator.models import (
    STAFF_ROLES,
    Notification,
    OutgoingMail,
    Project,
    ProjectHolder,
    ProjectStatus,
    Role,
    Stage,
    Theme,
    User,
    utcnow,
)
from incubator.passwords import hash_password
from incubator.projects.services import EDITABLE_FIELDS, create_project, submit_project

PASSWORD = "a quiet river under the bridge"
# A project the factory made active in the first stage was written (version 1), then
# submitted (2); each change since adds one.
SUBMITTED_VERSION = 2
_counter = itertools.count(1)


def user(role: str = "holder", *, email: str | None = None, name: str | None = None,
         password: str | None = PASSWORD, active: bool = True) -> User:
    n = next(_counter)
    account = User(
        email=email or f"{role}{n}@example.org",
        name=name or f"{role.capitalize()} Person {n}",
        role=Role(role).value,
        password_hash=hash_password(password) if password else None,
        active=active,
    )
    db.session.add(account)
    db.session.flush()
    return account


def stages() -> list[Stage]:
    return list(db.session.scalars(select(Stage).order_by(Stage.position)))


def stage(position: int = 1) -> Stage:
    return stages()[position - 1]


def theme(name: str = "Culture") -> Theme:
    return db.session.scalar(select(Theme).where(Theme.name == name))


def complete_idea(**overrides) -> dict:
    """Form data of a complete idea, ready to submit."""
    data = {
        "title": "Épicerie solidaire de Redon",
        "pitch": "Une épicerie à prix solidaires tenue par ses adhérents.",
        "need": "Les familles modestes du quartier n'ont pas de commerce alimentaire proche.",
        "target_public": "Habitants du quartier, familles modestes.",
        "planned_activity": "Vente de produits locaux à double tarif, ateliers cuisine.",
        "theme_id": str(theme("Alimentation et circuits courts").id),
        "commune": "Redon",
        "kind": "collective",
        "legal_form_id": "",
        "jobs_envisaged": "1,5",
        "funding_need": "25 000",
    }
    data.update(overrides)
    return data


def project(*, holders: list[User] | None = None, stage_position: int | None = 1,
            status: str = ProjectStatus.ACTIVE.value, title: str | None = None,
            advisor: User | None = None, days_in_stage: int = 3, **fields) -> Project:
    """A project, built through the services users call, ``days_in_stage`` days ago: written
    by its first holder (else its advisor, else a staff member), submitted, moved to its
    stage, paused or closed. So it has the history a real one has (an entry StageMove, one
    more per stage passed, a StatusChange when paused or closed). The notifications and mails
    those services queue are dropped: a test counts those its own actions cause."""
    n = next(_counter)
    entered = utcnow() - timedelta(days=days_in_stage)
    author = (holders or [None])[0] or advisor or _staff_member()
    data = {"title": title or f"Projet {n}", "pitch": fields.pop("pitch", f"Pitch du projet {n}"),
            "commune": fields.pop("commune", "Redon"), "kind": fields.pop("kind", "collective"),
            "jobs_envisaged": fields.pop("jobs_envisaged", Decimal("1.0"))}
    data.update({name: fields.pop(name) for name in EDITABLE_FIELDS if name in fields})
    last_notification = db.session.scalar(select(func.max(Notification.id))) or 0
    last_mail = db.session.scalar(select(func.max(OutgoingMail.id))) or 0

    item = create_project(author, data, as_holder=bool(holders), now=entered)
    for name, value in fields.items():  # columns no form sets (funding_need_cents…)
        setattr(item, name, value)
    item.advisor_id = advisor.id if advisor else None
    for holder in (holders or [])[1:]:
        db.session.add(ProjectHolder(project_id=item.id, user_id=holder.id, added_at=entered))
    db.session.flush()
    if status != ProjectStatus.DRAFT.value and stage_position:
        mover = advisor or author
        submit_project(item, author, now=entered)
        if stage_position != 1:
            board.move_project(item, mover, stage_id=stage(stage_position).id,
                               seen_version=item.version, now=entered)
        if status == ProjectStatus.PAUSED.value:
            board.pause_project(item, mover, item.version, None, now=entered)
        elif status == ProjectStatus.CLOSED.value:
            board.close_project(item, mover, item.version, item.outcome or "abandoned",
                                item.outcome_reason or "Projet abandonné.", now=entered)
    db.session.execute(delete(Notification).where(Notification.id > last_notification))
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.id > last_mail))
    if has_app_context():
        g.pop("queued_mail", None)
    db.session.flush()
    return item


def _staff_member() -> User:
    """The first active staff account (the one a test logged in, usually), else a new
    manager: projects are always written by someone."""
    found = db.session.scalar(
        select(User).where(User.role.in_(STAFF_ROLES), User.active).order_by(User.id).limit(1))
    return found or user("manager")
