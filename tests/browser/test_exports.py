"""The exports page in Chromium: a period that ends before it starts, sent by a download
button, brings the form back (no download) with the dates as typed, the error summary and
the message next to its field; the page passes axe in that state."""

from __future__ import annotations

from playwright.sync_api import expect

from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in


def test_a_wrong_period_comes_back_on_the_form_with_its_error(page, live_server, live_app):
    with live_app.app_context():
        manager = factories.user("manager")
        db.session.commit()
        email = manager.email
    log_in(page, live_server, email, lands_on=r"/")
    page.goto(live_server + "/exports")
    page.locator("#export-from").fill("2026-03-01")
    page.locator("#export-to").fill("2026-02-01")
    with page.expect_response(lambda r: "/exports/projects" in r.url) as answer:
        page.get_by_role("button", name="Projets en CSV").click()
    assert answer.value.status == 400
    page.wait_for_load_state("load")
    expect(page.locator("#export-errors")).to_contain_text("1 problème à corriger")
    expect(page.locator("#export-to-error")).to_contain_text("La période finit avant")
    expect(page.locator("#export-to")).to_have_value("2026-02-01")
    expect(page.locator("#export-from")).to_have_value("2026-03-01")
    expect(page.locator("#export-to")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
