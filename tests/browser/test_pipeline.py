"""The pipeline review in Chromium: changing the period in the filters swaps the figures
(htmx, the URL keeps the period), the charts are drawn beside their tables, a reload shows
the same, and the page passes axe."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import update

from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import StageMove

from .. import factories
from .conftest import axe_violations, log_in


def test_changing_the_period_changes_the_figures_and_their_chart(page, live_server, live_app):
    with live_app.app_context():
        year = pole_today().year
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        recent = factories.project(title="Épicerie solidaire")
        older = factories.project(title="Ressourcerie du Pays de Redon")
        # The older idea entered the pipeline two years ago (its whole history moved back).
        db.session.execute(update(StageMove).where(StageMove.project_id == older.id)
                           .values(moved_at=datetime(year - 2, 3, 10, 10, tzinfo=UTC)))
        db.session.commit()
        assert recent.id != older.id
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/pipeline")
    page.wait_for_load_state("load")
    entries = page.locator("#pipeline-entries-exits tbody tr").first
    expect(entries).to_contain_text("1")
    # The projects-per-stage chart is drawn beside its table.
    canvas = page.locator("#chart-stages_now canvas")
    expect(canvas).to_be_visible()
    assert canvas.bounding_box()["width"] > 100
    assert axe_violations(page) == []

    page.locator("#pipeline-start").fill(f"{year - 2}-01-01")
    page.locator("#pipeline-start").dispatch_event("change")
    expect(page).to_have_url(re.compile(rf"start={year - 2}-01-01"))
    expect(entries).to_contain_text("2")
    expect(page.locator("#chart-stages_now canvas")).to_be_visible()
    page.reload()
    expect(page.locator("#pipeline-entries-exits tbody tr").first).to_contain_text("2")
    assert axe_violations(page) == []
