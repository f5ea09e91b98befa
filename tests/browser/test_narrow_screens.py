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


# Pico lays out a [role=search] form as one inline row: the board's filter grid used to share
# it with « Effacer les filtres » once a filter was on, squeezing every field into a narrow
# column (labels broken mid-word) beside a one-word-a-line link.
FILTER_LAYOUT = """() => {
  const form = document.querySelector("#board-filters").getBoundingClientRect();
  const grid = document.querySelector("#board-filters .filter-grid").getBoundingClientRect();
  const clear = document.querySelector("#board-filters .filter-actions a").getBoundingClientRect();
  return {form: form.width, grid: grid.width, gridBottom: grid.bottom, clearTop: clear.top};
}"""


def test_the_board_filters_keep_the_whole_width_when_one_is_on(page: Page, live_server,
                                                               live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.commit()
    log_in(page, live_server, "claire@cades.example")
    page.goto(f"{live_server}/board?mine=1")
    layout = page.evaluate(FILTER_LAYOUT)
    assert abs(layout["grid"] - layout["form"]) <= 1, layout
    assert layout["clearTop"] >= layout["gridBottom"], layout
    assert _page_width(page) <= WIDTH, page.evaluate(OVERFLOWING, WIDTH)


# The same kind on every filter form of several fields: Pico's one-row search group put the
# working groups' fields, checkbox and « Rechercher » button side by side at 375 px (a
# half-pill button with its word cut in three lines).
SEARCH_FORM = """() => {
  const form = document.querySelector("form[role=search]");
  const button = form.querySelector("button[type=submit]");
  const line = parseFloat(getComputedStyle(button).lineHeight) || 24;
  const rows = button.offsetParent ? button.getClientRects()[0].height : 0;
  return {form: form.getBoundingClientRect().width,
          widest: Math.max(...[...form.children].map(e => e.getBoundingClientRect().width)),
          buttonLines: Math.round((rows - 2 * parseFloat(getComputedStyle(button).paddingTop))
                                  / line)};
}"""


@pytest.mark.parametrize("path", ["/members?q=a", "/partners?q=a", "/groups?q=a",
                                  "/committees?q=a"])
def test_filter_forms_of_several_fields_stack_at_375_px(page: Page, live_server, live_app,
                                                        path):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.commit()
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + path)
    layout = page.evaluate(SEARCH_FORM)
    assert layout["widest"] >= layout["form"] * 0.95, layout
    assert layout["buttonLines"] <= 1, layout
    assert _page_width(page) <= WIDTH, page.evaluate(OVERFLOWING, WIDTH)


# A card's visually hidden text (the mentor mark's « — Parrainé par … ») is placed absolutely:
# without a positioned board its containing block was the page, and the cards of the columns
# beyond the screen widened the whole page to 556 px on the demo data (the board's columns
# must scroll inside the board only).
def test_the_board_with_mentored_cards_scrolls_only_inside_itself_at_375_px(
        page: Page, live_server, live_app):
    from datetime import date

    from incubator.members.services import create_organisation
    from incubator.models import Mentorship

    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        organisation = create_organisation(
            None, name="Coopérative Oust et Vilaine Énergies renouvelables", family="cooperative",
            commune="Redon", commune_insee="35236", mentoring_capacity=9, is_member=True,
            contacts=())
        for position in (1, 2, 3, 4, 5):
            project = factories.project(title=f"Projet parrainé {position}",
                                        stage_position=position)
            db.session.add(Mentorship(project_id=project.id, organisation_id=organisation.id,
                                      role="sponsor", started_on=date(2025, 1, 6)))
        db.session.commit()
    log_in(page, live_server, "claire@cades.example")
    for path in ("/board", "/board?show=all"):
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        assert page.locator(".board .mentor-mark").count() == 5
        assert page.evaluate("() => document.getElementById('board').scrollWidth") > WIDTH
        assert _page_width(page) <= WIDTH, page.evaluate(OVERFLOWING, WIDTH)
