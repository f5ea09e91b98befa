"""A manager reorders the support stages in Chromium (issue 13, part A): with the keyboard
(the « Descendre » button, Enter: the list is swapped and the focus stays on the button),
then by dragging a stage by its handle; the board's columns follow; axe finds nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Stage

from .. import factories
from .conftest import axe_violations, log_in
from .test_keyboard import focused_id, wait_idle


def _ids(live_app) -> list[int]:
    with live_app.app_context():
        return list(db.session.scalars(
            select(Stage.id).where(Stage.active).order_by(Stage.position)))


def _drag_to_top(page: Page, handle, first) -> None:
    """Drag ``handle`` with the mouse, in small steps as a hand would, and drop it over the
    top edge of the list's ``first`` item (so it lands above it)."""
    # Sortable binds the list when htmx has processed the page (static/js/stages.js).
    page.wait_for_function(
        "() => { const list = document.querySelector('ol.stage-list'); return list && list.sortable; }")
    start, end = handle.bounding_box(), first.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 10, steps=3)  # the browser starts a drag
    # Sortable takes the drag on its next tick (setTimeout 0): moves before it would be lost.
    page.wait_for_timeout(100)
    page.mouse.move(x, end["y"] + 8, steps=25)
    # Sortable ignores a drag over an item still moving (its 150 ms animation): once they
    # have settled, hover the top of the first item again, as a hand pausing there would.
    for dy in (6, 4):
        page.wait_for_timeout(200)
        page.mouse.move(x, end["y"] + dy, steps=2)
    page.mouse.up()


def _board_columns(page: Page) -> list[int]:
    return [int(value) for value in page.locator("section.column").evaluate_all(
        "(columns) => columns.map((c) => c.dataset.stageId)")]


def test_a_manager_reorders_the_stages_by_keyboard_and_drag_and_the_board_follows(
        page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.commit()
    accueil, emergence, etude, lancement, developpement = _ids(live_app)
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/stages")
    expect(page.get_by_role("heading", name="Étapes actives")).to_be_visible()
    assert axe_violations(page) == []

    # The keyboard: focus « Descendre » of the first stage, Enter.
    page.evaluate("window.notReloaded = true")
    button = page.locator(f"#down-stage-{accueil}")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("ol.stage-list > li").nth(1)).to_have_id(f"stage-{accueil}")
    wait_idle(page)
    page.wait_for_function(f"() => document.activeElement.id === 'down-stage-{accueil}'")
    assert focused_id(page) == f"down-stage-{accueil}"
    assert page.evaluate("window.notReloaded === true")  # swapped in place, not reloaded
    expect(page.locator("#messages")).to_contain_text("est maintenant l’étape 2 sur 5")
    # Again, from the same button: the list's new order was taken into account.
    page.keyboard.press("Enter")
    expect(page.locator("ol.stage-list > li").nth(2)).to_have_id(f"stage-{accueil}")
    wait_idle(page)
    assert _ids(live_app) == [emergence, etude, accueil, lancement, developpement]
    assert axe_violations(page) == []

    page.goto(live_server + "/board")
    expect(page.locator("section.column").first).to_be_visible()
    assert _board_columns(page) == [emergence, etude, accueil, lancement, developpement]

    # Drag and drop: « Développement » by its handle to the top (the whole list in view).
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto(live_server + "/admin/stages")
    page.evaluate("window.notReloaded = true")
    _drag_to_top(page, page.locator(f"#stage-{developpement} .stage-handle"),
                 page.locator(f"#stage-{emergence}"))
    expect(page.locator("ol.stage-list > li").first).to_have_id(f"stage-{developpement}")
    wait_idle(page)
    expect(page.locator("#messages")).to_contain_text("est maintenant l’étape 1 sur 5")
    assert page.evaluate("window.notReloaded === true")
    assert _ids(live_app) == [developpement, emergence, etude, accueil, lancement]
    assert axe_violations(page) == []
    page.goto(live_server + "/board")
    expect(page.locator("section.column").first).to_be_visible()
    assert _board_columns(page) == [developpement, emergence, etude, accueil, lancement]


def test_a_busy_stage_is_not_retired_and_its_project_is_linked(page: Page, live_server,
                                                               live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        project = factories.project(stage_position=2, title="Recyclerie du Pays de Redon")
        db.session.commit()
        project_id = project.id
    emergence = _ids(live_app)[1]
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/stages")
    page.locator(f"#retire-stage-{emergence}").click()
    refusal = page.locator("#stage-refusal")
    expect(refusal).to_contain_text("contient encore 1 projet")
    expect(refusal.get_by_role("link", name="Recyclerie du Pays de Redon")).to_have_attribute(
        "href", f"/projects/{project_id}")
    wait_idle(page)
    assert axe_violations(page) == []
    assert emergence in _ids(live_app)
