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


def test_the_report_draws_its_charts_beside_their_tables_on_screen_and_on_paper(
        page, live_server, live_app):
    with live_app.app_context():
        email = build_history().manager.email
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server, email, lands_on=r"/")
    page.goto(live_server + "/pipeline/report?year=2025")
    page.wait_for_load_state("load")
    keys = ("ideas", "stages", "outcomes", "launches", "supports_kind",
            "supports_partner_kind", "time_kind")
    for key in keys:
        expect(page.locator(f"#report-{key} canvas")).to_be_visible()
        expect(page.locator(f"#report-{key} table")).to_be_visible()
    drawn = page.evaluate("""(keys) => keys.map(key => {
        const chart = Chart.getChart(document.querySelector('#report-' + key + ' canvas'));
        return chart ? chart.data.labels.length : -1;
    })""", list(keys))
    assert all(count > 0 for count in drawn), drawn
    # The definitions' appendix is for paper only.
    expect(page.locator(".report-definitions")).to_be_hidden()
    assert axe_violations(page) == []

    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    for hidden in (".site-header", "nav", ".report-filters"):
        expect(page.locator(hidden).first).to_be_hidden()
    for key in keys:
        canvas = page.locator(f"#report-{key} canvas")
        expect(canvas).to_be_visible()
        assert canvas.evaluate("c => getComputedStyle(c).filter") == "grayscale(1)"
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
        expect(page.locator(f"#report-{key} table")).to_be_visible()
    # Printed, each figure's definition is in the appendix.
    appendix = page.locator(".report-definitions")
    expect(appendix).to_be_visible()
    expect(appendix).to_contain_text("Projets déposés entre le 1er janvier et le 31 décembre")
    # A4 less the margins: nothing wider than the paper (210 mm - 24 mm at 96 dpi).
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
