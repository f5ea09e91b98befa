"""At 1280 px and wider the board shows its five stages at once: no column is cut by the
window's edge (the board page uses the window's whole width)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from incubator.extensions import db

from .. import factories
from .conftest import log_in

COLUMNS = """() => [...document.querySelectorAll('#board .column')].map(c => {
  const box = c.getBoundingClientRect();
  return [Math.round(box.left), Math.round(box.right)];
})"""


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_five_stages_are_in_view_at_1280_px_and_wider(page: Page, live_server, live_app,
                                                           width):
    with live_app.app_context():
        manager = factories.user(role="manager")
        for position in range(1, 6):
            factories.project(title=f"Projet de l’étape {position} " + "très long titre " * 4,
                              stage_position=position)
        db.session.commit()
        email = manager.email
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, email)
    columns = page.evaluate(COLUMNS)
    assert len(columns) == 5
    assert all(0 <= left and right <= width for left, right in columns), columns
    # Nothing to scroll sideways: neither the page nor the board.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert page.evaluate(
        "() => document.getElementById('board').scrollWidth"
        " <= document.getElementById('board').clientWidth")
