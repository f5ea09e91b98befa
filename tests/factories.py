"""Plain factory functions for test data. They flush; tests commit when a request follows."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from incubator.extensions import db
from incubator.models import (
    Project,
    ProjectHolder,
    ProjectStatus,
    Role,
    Stage,
    StageMove,
    Theme,
    User,
    utcnow,
)
from incubator.passwords import hash_password
from incubator.positions import end_position

PASSWORD = "a quiet river under the bridge"
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
    """A project; active ones sit in a stage with an entry stage move."""
    now = utcnow()
    n = next(_counter)
    entered = now - timedelta(days=days_in_stage)
    in_stage = stage(stage_position) if stage_position and status != "draft" else None
    item = Project(
        title=title or f"Projet {n}",
        pitch=fields.pop("pitch", f"Pitch du projet {n}"),
        commune=fields.pop("commune", "Redon"),
        kind=fields.pop("kind", "collective"),
        jobs_envisaged=fields.pop("jobs_envisaged", Decimal("1.0")),
        status=status,
        stage_id=in_stage.id if in_stage else None,
        position=None,
        advisor_id=advisor.id if advisor else None,
        stage_entered_at=entered if in_stage else None,
        submitted_at=entered if in_stage else None,
        last_activity_at=entered,
        **fields,
    )
    db.session.add(item)
    db.session.flush()
    if in_stage is not None:
        if status == ProjectStatus.ACTIVE.value:
            item.position = end_position(in_stage.id, exclude_id=item.id)
        db.session.add(StageMove(project_id=item.id, from_stage_id=None, to_stage_id=in_stage.id,
                                 moved_at=entered))
    for holder in holders or []:
        db.session.add(ProjectHolder(project_id=item.id, user_id=holder.id))
    db.session.flush()
    return item
