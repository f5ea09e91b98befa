"""At 375 px (a small phone) the account, user administration and project pages never scroll
sideways: wide tables scroll inside their own box, long names wrap or are cut. (The board
itself scrolls its columns inside its own box, by design.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from incubator.auth import throttle
from incubator.extensions import db

from .. import factories
from .conftest import log_in

LONG_NAME = "Marie-Christine de La Villemarqué-Kerguélen-Saint-Aubin-du-Cormier"
WIDTH = 375


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": 740}}


def _page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


# For the failure message: the outermost elements that reach beyond the screen's edge.
OVERFLOWING = """(width) => {
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    const box = e.getBoundingClientRect();
    if (box.right <= width + 0.5 || (e.parentElement && out.includes(e.parentElement))) continue;
    out.push(e);
  }
  return out.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "")
    + " " + Math.round(e.getBoundingClientRect().right));
}"""


def test_no_sideways_scroll_at_375_px(page: Page, browser, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        factories.user(role="advisor", name=LONG_NAME,
                       email="marie-christine.de-la-villemarque@cades.example")
        delayed = factories.user(name=LONG_NAME + " Bis",
                                 email="une-adresse-tres-longue-pour-voir@exemple.fr")
        for _ in range(6):
            throttle.record_failure(delayed.email)
        project = factories.project(title="Ferme pédagogique")
        db.session.commit()
        project_id = project.id
    other = browser.new_context(locale="fr-FR")  # a second session, with its "end" button
    try:
        log_in(other.new_page(), live_server, "claire@cades.example")
        log_in(page, live_server, "claire@cades.example")
        widths = {}
        for path in ("/account/sessions", "/account/password", "/admin/users",
                     f"/projects/{project_id}", "/board/closed", "/next-steps",
                     "/notifications", "/projects/new"):
            page.goto(live_server + path)
            page.wait_for_load_state("load")
            if (width := _page_width(page)) > WIDTH:
                widths[path] = (width, page.evaluate(OVERFLOWING, WIDTH))
        assert widths == {}, widths
    finally:
        other.close()
