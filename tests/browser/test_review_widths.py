"""The review's pages at 375 px (a phone) and 1280 px (a laptop): nothing reaches beyond the
window's width. The tab bar scrolls sideways inside itself on a phone (every tab reachable
with the keyboard, the current one marked ``aria-current``); the load per advisor (a column
per stage) fits a 1280 px window without scrolling, its headers wrapping."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from incubator.extensions import db

from .. import factories
from .conftest import log_in
from .test_narrow_screens import OVERFLOWING

PAGES = ("/pipeline", "/pipeline/report", "/pipeline/territory", "/exports")


def _review_data(live_app) -> str:
    with live_app.app_context():
        manager = factories.user(role="manager", email="claire@cades.example",
                                 name="Claire Rouxel")
        for name in ("Marie-Christine de La Villemarqué", "Yann Le Goff"):
            advisor = factories.user(role="advisor", name=name)
            for position in range(1, 6):
                factories.project(title=f"Projet de l’étape {position} " + "long titre " * 3,
                                  stage_position=position, advisor=advisor)
        db.session.commit()
        return manager.email


@pytest.mark.parametrize("width", [375, 1280])
def test_the_review_pages_never_scroll_sideways(page: Page, live_server, live_app, width):
    email = _review_data(live_app)
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server, email)
    for path in PAGES:
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= width, (path, page.evaluate(OVERFLOWING, width))
        tabs = page.locator(".review-tabs")
        box = tabs.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, path
        # The tabs are one row: they scroll inside their bar rather than wrap.
        tops = tabs.locator("a").evaluate_all(
            "links => links.map(a => a.getBoundingClientRect().top)")
        assert max(tops) - min(tops) < 4, (path, tops)
        current = tabs.locator("a[aria-current='page']")
        expect(current).to_have_count(1)
        # The current tab is whole in view, its text not cut by the bar's edges.
        box, bar = current.bounding_box(), tabs.locator("ul").bounding_box()
        assert box["x"] >= max(bar["x"], 0) - 0.5, (path, box, bar)
        assert box["x"] + box["width"] <= min(bar["x"] + bar["width"], width) + 0.5, (path, box)


def test_the_load_per_advisor_fits_a_1280_px_window(page: Page, live_server, live_app):
    email = _review_data(live_app)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, email)
    page.goto(live_server + "/pipeline")
    page.wait_for_load_state("load")
    region = page.locator("#table-advisor_load .overflow-auto")
    expect(region).to_be_visible()
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), region.evaluate(
        "e => [e.scrollWidth, e.clientWidth, [...e.querySelectorAll('thead th')].map("
        "th => [th.textContent, Math.round(th.getBoundingClientRect().width)]), "
        "[...e.querySelectorAll('tbody tr:first-child > *')].map("
        "td => [td.textContent, Math.round(td.getBoundingClientRect().width)])]")
    expect(page.locator("#table-advisor_load caption")).to_be_visible()


def test_the_tabs_scroll_and_are_reached_with_the_keyboard_on_a_phone(page: Page, live_server,
                                                                     live_app):
    email = _review_data(live_app)
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server, email)
    page.goto(live_server + "/exports")
    page.wait_for_load_state("load")
    tabs = page.locator(".review-tabs a")
    current = page.locator(".review-tabs a[aria-current='page']")
    expect(current).to_have_attribute("href", "/exports")
    # The current tab, the last one, is scrolled into view.
    box = current.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    # Each tab is a link the keyboard reaches, in order, and brings into view.
    tabs.first.focus()
    for index in range(tabs.count()):
        link = tabs.nth(index)
        expect(link).to_be_focused()
        box = link.bounding_box()
        assert box["x"] >= -1 and box["x"] + box["width"] <= 376, (index, box)
        page.keyboard.press("Tab")
