"""Cohorts in Chromium: the board's cohort filter narrows the cards live and keeps the
cohort in the URL; a project added to a cohort from its page (htmx); axe clean."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from incubator.cohorts import services
from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in


def _world(live_app) -> dict:
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        ids = {}
        for title in ("Garage solidaire", "Épicerie vrac", "Recyclerie"):
            ids[title] = factories.project(title=title, advisor=advisor).id
        db.session.commit()
        cohort = services.create_cohort(None, name="Idéateur — printemps 2027",
                                        starts_on=date(2027, 3, 1), ends_on=date(2027, 6, 30))
        from incubator.models import Project

        for title in ("Garage solidaire", "Recyclerie"):
            services.add_project(None, cohort, db.session.get(Project, ids[title]))
        other = services.create_cohort(None, name="Incubateur — automne 2027",
                                       starts_on=date(2027, 9, 1), ends_on=date(2028, 1, 31))
        db.session.commit()
        return {"projects": ids, "cohort": cohort.id, "other": other.id}


def test_the_board_filters_by_cohort_live_and_keeps_it_in_the_url(page, live_server,
                                                                   live_app):
    world = _world(live_app)
    log_in(page, live_server, "yann@cades.example")
    expect(page.locator(".card")).to_have_count(3)
    page.get_by_label("Promotion").select_option(str(world["cohort"]))
    expect(page).to_have_url(re.compile(rf"cohort={world['cohort']}"))
    expect(page.locator(".card-title")).to_have_count(2)
    expect(page.locator(".card-title")).to_have_text(["Garage solidaire", "Recyclerie"])
    assert axe_violations(page) == []
    page.reload()
    expect(page.get_by_label("Promotion")).to_have_value(str(world["cohort"]))
    expect(page.locator(".card")).to_have_count(2)
    page.get_by_label("Promotion").select_option(str(world["other"]))
    expect(page.locator(".card")).to_have_count(0)
    page.get_by_label("Promotion").select_option("")
    expect(page.locator(".card")).to_have_count(3)


def test_a_project_joins_a_cohort_from_its_page(page, live_server, live_app):
    world = _world(live_app)
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{world['projects']['Épicerie vrac']}")
    section = page.locator("#project-cohorts")
    expect(section).to_contain_text("Dans aucune promotion")
    section.get_by_label("Ajouter à une promotion").select_option(str(world["cohort"]))
    section.get_by_role("button", name="Ajouter").click()
    expect(page.locator("#project-cohorts")).to_contain_text("Idéateur — printemps 2027")
    expect(page.locator("#messages")).to_contain_text("a rejoint la promotion")
    assert axe_violations(page) == []
