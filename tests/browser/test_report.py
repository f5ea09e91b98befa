"""The funders' report in Chromium: it passes axe; the year selector swaps the report and
keeps the year in the URL; printed (print media emulated), it shows the report alone: no
navigation, year selector, buttons nor export links."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ..test_report import build_history
from .conftest import axe_violations, log_in


def test_the_report_prints_without_navigation_and_changes_year_in_place(page, live_server,
                                                                        live_app):
    with live_app.app_context():
        history = build_history()
        email = history.manager.email
    log_in(page, live_server, email, lands_on=r"/")
    page.goto(live_server + "/pipeline/report?year=2025")
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapport aux financeurs 2025")
    expect(page.locator("#report-abandonments")).to_contain_text("Pas de local trouvé.")
    assert axe_violations(page) == []

    page.locator("#report-year").select_option("2024")
    expect(page).to_have_url(re.compile(r"year=2024"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapport aux financeurs 2024")
    expect(page.locator("#report-abandonments")).to_contain_text("Collectif dispersé.")

    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#report-stages table")).to_be_visible()
    for hidden in (".site-header", ".site-footer", "nav", ".report-filters",
                   ".report-downloads", ".figure-table-tools"):
        expect(page.locator(hidden).first).to_be_hidden()
    exports = page.locator("a[href*='format=']")
    assert exports.count() > 0
    for index in range(exports.count()):
        expect(exports.nth(index)).to_be_hidden()
    # A link prints as its text, without its address after it.
    link = page.locator("#report-abandonments a").first
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert after in ("none", "normal", "")
    page.emulate_media(media="screen")
    expect(page.locator(".site-header")).to_be_visible()
