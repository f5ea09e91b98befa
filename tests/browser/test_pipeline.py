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


def test_a_refused_period_leaves_the_figures_and_the_address_as_they_were(page, live_server,
                                                                           live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        factories.project(title="Épicerie solidaire")
        db.session.commit()
        year = pole_today().year
    # A page the console watcher does not watch: htmx rightly logs the 400 as an error there.
    page = page.context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + f"/pipeline?start={year}-01-01&end={year}-06-30")
    page.wait_for_load_state("load")
    before = page.url
    figures = page.locator("#pipeline-figures").inner_html()
    # An end before the start: the server refuses it (400) and says why.
    page.locator("#pipeline-end").fill(f"{year - 1}-12-01")
    page.locator("#pipeline-end").dispatch_event("change")
    expect(page.locator("#messages")).to_contain_text("avant la date de fin")
    assert page.url == before
    assert page.locator("#pipeline-figures").inner_html() == figures
    # A good period changes both.
    page.locator("#pipeline-end").fill(f"{year}-03-31")
    page.locator("#pipeline-end").dispatch_event("change")
    expect(page).to_have_url(re.compile(rf"end={year}-03-31"))


def test_on_a_slow_network_the_last_filter_changed_wins(page, live_server, live_app):
    """Two filters changed while the first answer is on its way: htmx queues the second
    request (its default, ``queue:last``) and sends it once the first is in, so the figures
    and the address end with both filters, as the form shows them. An ``hx-sync`` set to
    ``drop`` would keep the first filter alone."""
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        advisor = factories.user(role="advisor", name="Yann Le Goff")
        factories.project(title="Épicerie solidaire", advisor=advisor)
        db.session.commit()
        advisor_id = advisor.id
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/pipeline")
    page.wait_for_load_state("load")
    held = []

    def hold_the_first(route):
        if route.request.headers.get("hx-request") and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/pipeline\?"), hold_the_first)
    page.locator("#pipeline-advisor").select_option(str(advisor_id))
    page.wait_for_timeout(200)
    assert len(held) == 1
    theme = page.locator("#pipeline-theme option").nth(1).get_attribute("value")
    page.locator("#pipeline-theme").select_option(theme)
    page.wait_for_timeout(300)
    try:
        held[0].continue_()  # the first answer arrives last (or was cancelled)
    except Exception:  # noqa: BLE001, S110  (Playwright: the request was aborted)
        pass
    expect(page).to_have_url(re.compile(rf"advisor={advisor_id}.*theme={theme}"))
    page.wait_for_timeout(300)
    assert re.search(rf"advisor={advisor_id}.*theme={theme}", page.url)
    assert page.locator("#pipeline-theme").input_value() == theme
