"""The territory key figures in Chromium: choosing another year in the selector swaps the
figures (htmx, the URL keeps the year), a reload shows the same, and the page passes axe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.models import Organisation, TerritoryEmployment

from .. import factories
from .conftest import axe_violations, log_in


def test_changing_the_year_changes_the_figures(page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.add_all([
            Organisation(name="Ressourcerie", family="association", employer=True,
                         headcount=8, commune="Redon",
                         created_at=datetime(2024, 5, 1, tzinfo=UTC)),
            Organisation(name="SCOP Bâti Sain", family="cooperative", employer=True,
                         headcount=12, commune="Allaire",
                         created_at=datetime(2025, 5, 1, tzinfo=UTC)),
            TerritoryEmployment(year=2024, salaried_jobs=200, source="INSEE, Flores")])
        db.session.commit()
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/pipeline/territory?year=2025")
    page.wait_for_load_state("load")
    headline = page.locator("#territory-headline")
    expect(headline).to_contain_text("2 établissements – 20 emplois, soit 10\u202f%")
    assert axe_violations(page) == []
    page.get_by_label("Annuaire tel qu’il était fin").select_option("2024")
    expect(page).to_have_url(re.compile(r"year=2024"))
    expect(headline).to_contain_text("1 établissement – 8 emplois, soit 4\u202f%")
    expect(page.locator("#table-communes")).not_to_contain_text("Allaire")
    page.reload()
    expect(headline).to_contain_text("1 établissement – 8 emplois")
    expect(page.get_by_label("Annuaire tel qu’il était fin")).to_have_value("2024")
    assert axe_violations(page) == []
