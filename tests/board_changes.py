"""Changes to what the board shows, made behind the app's back (through the models, no
version raised where the app would not raise it): shared by the card cache's tests
(tests/test_board_card_cache.py: each gives a fresh card) and the board revision's
(tests/test_board_revision.py: each gives a new ETag and the new content)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from incubator.extensions import db
from incubator.members import services as members
from incubator.models import (
    Mentorship,
    NextStep,
    Partner,
    PoleSettings,
    ProjectHolder,
    Stage,
    Support,
    Theme,
)
from incubator.next_steps.queries import today

from . import factories

CARD, COLUMN, PAGE = "card", "column", "page"

# (change, what the board shows after it, the part that shows it: a card, a column's
# header, or the page around the columns).
CHANGES = [
    ("title", "Titre nouveau", CARD),
    ("holder", "Nolwenn Renommée", CARD),
    ("new holder", "Yann Nouveau", CARD),
    ("theme", "Thème renommé", CARD),
    ("advisor", "Advisor Renamed", CARD),
    ("commune", "Peillac", CARD),
    ("day", "4 days in stage", CARD),
    ("next step", "1 next step", CARD),
    ("overdue", "1 overdue", CARD),
    ("stalled", "Stalled", CARD),
    ("mentorship", "Mentored", CARD),
    ("support granted", "granted", CARD),
    ("stage name", "Étape renommée", COLUMN),
    ("stage limit", "limit 7", COLUMN),
    ("pole", "Pôle Renommé", PAGE),
    ("new advisor in the filter", "Zoé Filtre", PAGE),
]


def changes(*parts: str) -> list:
    """``CHANGES`` shown by ``parts`` as pytest parameters (change, expected, part), each
    named by its change."""
    return [pytest.param(*row, id=row[0]) for row in CHANGES if row[2] in parts]


def setting(login) -> dict:
    """An advisor logged in (``me``) and one project 3 days in its stage, with a holder,
    another advisor and a theme: the keyword arguments of ``make_change``."""
    me = login("advisor")
    holder = factories.user(name="Nolwenn Briand")
    advisor = factories.user(role="advisor", name="Anne Conseil")
    project = factories.project(title="Titre ancien", holders=[holder], advisor=advisor,
                                theme_id=factories.theme().id, days_in_stage=3)
    db.session.commit()
    return {"me": me, "holder": holder, "advisor": advisor, "project": project}


def make_change(change: str, *, me, holder, advisor, project) -> None:
    """Make ``change`` (a name of ``CHANGES``) in the session; the caller commits."""
    if change == "title":
        project.title, project.version = "Titre nouveau", project.version + 1
    elif change == "holder":
        holder.name = "Nolwenn Renommée"
    elif change == "new holder":
        db.session.add(ProjectHolder(project_id=project.id,
                                     user_id=factories.user(name="Yann Nouveau").id))
    elif change == "theme":
        db.session.get(Theme, project.theme_id).name_en = "Thème renommé"  # the tests' English
    elif change == "advisor":
        advisor.name = "Advisor Renamed"
    elif change == "commune":
        project.commune = "Peillac"
    elif change == "day":  # a day went by
        project.stage_entered_at -= timedelta(days=1)
    elif change in ("next step", "overdue"):
        days = -1 if change == "overdue" else 5
        db.session.add(NextStep(project_id=project.id, title="Relancer",
                                due_on=today() + timedelta(days=days), created_by_id=me.id))
    elif change == "stalled":
        db.session.get(Stage, project.stage_id).stalled_days = 1
        project.last_activity_at -= timedelta(days=2)
    elif change == "stage name":
        stage = db.session.get(Stage, project.stage_id)
        stage.name = stage.name_en = "Étape renommée"
    elif change == "stage limit":
        db.session.get(Stage, project.stage_id).wip_limit = 7
    elif change == "mentorship":
        organisation = members.create_organisation(None, name="Coop Bois", family="association")
        db.session.flush()
        db.session.add(Mentorship(project_id=project.id, organisation_id=organisation.id,
                                  started_on=date(2026, 1, 10)))
    elif change == "support granted":
        partner = Partner(name="Région Bretagne", kind="region")
        db.session.add(partner)
        db.session.flush()
        db.session.add(Support(project_id=project.id, partner_id=partner.id, kind="grant",
                               amount_cents=500000, status="granted",
                               status_on=date(2026, 3, 1)))
    elif change == "pole":
        pole = db.session.get(PoleSettings, 1)
        if pole is None:
            db.session.add(PoleSettings(id=1, name="Pôle Renommé", short_name="Pôle Renommé",
                                        time_zone="Europe/Paris"))
        else:
            pole.name = pole.short_name = "Pôle Renommé"
    elif change == "new advisor in the filter":
        factories.user(role="advisor", name="Zoé Filtre")
    else:
        raise ValueError(f"unknown change {change!r}")
