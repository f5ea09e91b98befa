"""The board in Chromium: drag and drop, keyboard moves, live filters, conflicts, a11y."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Project, StageMove

from .. import factories
from .conftest import axe_violations, log_in, slow_requests


@pytest.fixture
def board(live_app):
    """Two advisors and a few projects over the first three stages."""
    with live_app.app_context():
        first = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        factories.user(role="advisor", email="sophie@cades.example", name="Sophie Maillard")
        holder = factories.user(name="Anne Briand")
        titles = {}
        for stage, title in [(1, "Garage solidaire"), (1, "Épicerie vrac"),
                             (2, "Tiers-lieu de Pipriac"), (2, "Recyclerie"),
                             (3, "Gîte de groupe")]:
            project = factories.project(title=title, stage_position=stage, advisor=first,
                                        holders=[holder])
            titles[title] = project.id
        db.session.commit()
        stages = {s.position: s.id for s in factories.stages()}
    return {"projects": titles, "stages": stages}




@pytest.fixture
def colleagues(browser, live_server, board, live_app):
    """Two advisors' browsers, each with its own cookies: (Yann's page, Sophie's page). Tests
    log them in themselves, after changing any setting the pages should see."""
    contexts = [browser.new_context(locale="fr-FR") for _ in range(2)]
    try:
        pages = tuple(context.new_page() for context in contexts)
        yield pages
    finally:
        for context in contexts:
            context.close()


def drag(page: Page, source, target) -> None:
    """Drag ``source`` with the mouse, in small steps as a hand would, and drop it on the
    upper part of ``target`` (so it lands just above it)."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 4, steps=12)
    # Sortable ignores a drag over a card still moving (its 150 ms animation): pause over
    # the target once they have settled, as a hand would (tests/browser/test_stages.py).
    page.wait_for_timeout(200)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 5, steps=3)
    page.mouse.up()


def stage_of(live_app, project_id: int) -> int:
    with live_app.app_context():
        return db.session.get(Project, project_id).stage_id


def test_drag_a_card_to_another_column_and_it_stays_after_reload(page, live_server, live_app,
                                                                    board):
    log_in(page, live_server, "yann@cades.example")
    garage = board["projects"]["Garage solidaire"]
    target = page.locator(f"#cards-stage-{board['stages'][2]} .card").first
    drag(page, page.locator(f"#project-{garage}"), target)
    announcer = page.locator("#board-announcer")
    expect(announcer).to_contain_text("Garage solidaire")
    expect(page.locator(f"#cards-stage-{board['stages'][2]} #project-{garage}")).to_be_visible()
    assert stage_of(live_app, garage) == board["stages"][2]
    page.reload()
    column = page.locator(f"#cards-stage-{board['stages'][2]} .card-title")
    expect(column).to_have_text(["Garage solidaire", "Tiers-lieu de Pipriac", "Recyclerie"])
    expect(page.locator(f"#head-stage-{board['stages'][2]}")).to_contain_text("3 projets")


def test_move_a_card_with_the_keyboard_alone(page, live_server, live_app, board):
    log_in(page, live_server, "yann@cades.example")
    epicerie = board["projects"]["Épicerie vrac"]
    page.locator(f"#project-{epicerie} .card-move").focus()
    page.keyboard.press("Enter")
    stage = page.locator(f"#move-project-{epicerie}-stage")
    expect(stage).to_be_focused()
    expect(page.locator(".htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("ArrowDown")  # Accueil → Émergence
    page.keyboard.press("ArrowDown")  # → Étude de faisabilité
    expect(stage).to_have_value(str(board["stages"][3]))
    page.keyboard.press("Tab")  # position
    page.keyboard.type("1")
    page.keyboard.press("Tab")  # comment
    page.keyboard.press("Tab")  # the "Move" button
    page.keyboard.press("Enter")
    card = page.locator(f"#cards-stage-{board['stages'][3]} #project-{epicerie}")
    expect(card).to_be_visible()
    expect(card).to_be_focused()
    expect(page.locator("#board-announcer")).to_contain_text("Étude de faisabilité")
    titles = page.locator(f"#cards-stage-{board['stages'][3]} .card-title")
    expect(titles).to_have_text(["Épicerie vrac", "Gîte de groupe"])
    assert stage_of(live_app, epicerie) == board["stages"][3]


def test_moving_back_with_the_keyboard_asks_why(page, live_server, live_app, board):
    log_in(page, live_server, "yann@cades.example")
    gite = board["projects"]["Gîte de groupe"]
    page.locator(f"#project-{gite} .card-move").click()
    page.locator(f"#move-project-{gite}-stage").select_option(str(board["stages"][1]))
    page.get_by_role("button", name="Déplacer", exact=True).click()
    expect(page.locator(f"#move-project-{gite}-comment-error")).to_be_visible()
    page.locator(f"#move-project-{gite}-comment").fill("Le modèle économique est à reprendre")
    page.get_by_role("button", name="Déplacer", exact=True).click()
    expect(page.locator(f"#cards-stage-{board['stages'][1]} #project-{gite}")).to_be_visible()
    with live_app.app_context():
        move = db.session.scalar(select(StageMove).order_by(StageMove.id.desc()))
        assert move.comment == "Le modèle économique est à reprendre"


def test_live_filter_narrows_the_board_and_keeps_it_in_the_url(page, live_server, board):
    log_in(page, live_server, "yann@cades.example")
    page.get_by_label("Rechercher").fill("recycl")
    expect(page).to_have_url(re.compile(r"q=recycl"))
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card-title")).to_have_text(["Recyclerie"])
    page.reload()
    expect(page.get_by_label("Rechercher")).to_have_value("recycl")
    expect(page.locator(".card")).to_have_count(1)
    page.get_by_label("Rechercher").fill("")
    expect(page.locator(".card")).to_have_count(5)


def test_the_second_advisor_gets_a_conflict_and_sees_the_true_state(colleagues, live_server,
                                                                     live_app, board):
    yann, sophie = colleagues
    log_in(yann, live_server, "yann@cades.example")
    log_in(sophie, live_server, "sophie@cades.example")
    garage = board["projects"]["Garage solidaire"]
    # Yann moves the project to Émergence with the keyboard control…
    yann.locator(f"#project-{garage} .card-move").click()
    yann.locator(f"#move-project-{garage}-stage").select_option(str(board["stages"][2]))
    yann.get_by_role("button", name="Déplacer", exact=True).click()
    expect(yann.locator(f"#cards-stage-{board['stages'][2]} #project-{garage}")).to_be_visible()
    # …while Sophie, whose page is older, drags it to Étude de faisabilité.
    target = sophie.locator(f"#cards-stage-{board['stages'][3]} .card").first
    drag(sophie, sophie.locator(f"#project-{garage}"), target)
    expect(sophie.locator("#messages")).to_contain_text("modifié ce projet entre-temps")
    expect(sophie.locator(f"#cards-stage-{board['stages'][2]} #project-{garage}")).to_be_visible()
    expect(sophie.locator(f"#cards-stage-{board['stages'][3]} #project-{garage}")).to_have_count(0)
    assert stage_of(live_app, garage) == board["stages"][2]


def test_the_board_refreshes_itself_when_a_colleague_moves_a_card(colleagues, live_server,
                                                                   live_app, board):
    live_app.config["BOARD_POLL_SECONDS"] = 1
    yann, sophie = colleagues
    log_in(yann, live_server, "yann@cades.example")
    log_in(sophie, live_server, "sophie@cades.example")
    recyclerie = board["projects"]["Recyclerie"]
    yann.locator(f"#project-{recyclerie} .card-move").click()
    yann.locator(f"#move-project-{recyclerie}-stage").select_option(str(board["stages"][4]))
    yann.get_by_role("button", name="Déplacer", exact=True).click()
    expect(sophie.locator(f"#cards-stage-{board['stages'][4]} #project-{recyclerie}")).to_be_visible(
        timeout=5000)
    expect(sophie.locator(f"#cards-stage-{board['stages'][2]} #project-{recyclerie}")).to_have_count(0)


def test_the_board_has_no_serious_accessibility_violation(page, live_server, board):
    log_in(page, live_server, "yann@cades.example")
    assert axe_violations(page) == []
    garage = board["projects"]["Garage solidaire"]
    page.locator(f"#project-{garage} .card-move").click()
    expect(page.locator(f"#move-project-{garage}-stage")).to_be_focused()
    assert axe_violations(page) == []


def test_the_refresh_leaves_an_open_move_control_alone(colleagues, live_server, live_app,
                                                      board):
    live_app.config["BOARD_POLL_SECONDS"] = 1
    yann, sophie = colleagues
    log_in(yann, live_server, "yann@cades.example")
    log_in(sophie, live_server, "sophie@cades.example")
    garage, epicerie = board["projects"]["Garage solidaire"], board["projects"]["Épicerie vrac"]
    sophie.locator(f"#project-{garage} .card-move").click()
    sophie.locator(f"#move-project-{garage}-comment").fill("en cours de saisie")
    # Yann changes the same column meanwhile.
    yann.locator(f"#project-{epicerie} .card-move").click()
    yann.locator(f"#move-project-{epicerie}-stage").select_option(str(board["stages"][2]))
    yann.get_by_role("button", name="Déplacer", exact=True).click()
    sophie.wait_for_timeout(2500)  # two polls
    expect(sophie.locator(f"#move-project-{garage}-comment")).to_have_value("en cours de saisie")
    # Once the control is closed, the refresh catches up.
    sophie.get_by_role("button", name="Annuler").click()
    expect(sophie.locator(f"#cards-stage-{board['stages'][2]} #project-{epicerie}")).to_be_visible(
        timeout=5000)


def test_a_failed_refresh_says_so_and_leaves_the_focus_where_it_is(page, live_server, live_app,
                                                                   board):
    """The board's own refresh failing (network down) shows the error, but the focus stays on
    the card the keyboard user was on: only a request the user sent gives it to the error."""
    live_app.config["BOARD_POLL_SECONDS"] = 1
    other = page.context.new_page()  # a failed request is logged as a console error
    other.set_default_timeout(10_000)
    other.bring_to_front()
    log_in(other, live_server, "yann@cades.example")
    garage = board["projects"]["Garage solidaire"]
    button = other.locator(f"#project-{garage} .card-move")
    button.focus()
    other.route("**/board/changes**", lambda route: route.abort())
    expect(other.locator("#messages .flash-error")).to_contain_text(
        "Impossible de joindre le serveur")
    other.wait_for_timeout(100)  # errorShown decides on the focus after a zero-delay timeout
    assert other.evaluate("() => document.activeElement.matches('.card-move')")


def test_show_every_card_puts_them_all_on_screen_and_keeps_the_keyboard_on_the_board(
        page, live_server, live_app, board):
    live_app.config["BOARD_COLUMN_CARDS"] = 1
    live_app.config["BOARD_MORE_CARDS"] = 1
    log_in(page, live_server, "yann@cades.example")
    link = page.locator("#board-show-all a")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/board\?show=all$"))
    expect(page.locator("#board-show-all a")).to_have_count(0)
    expect(page.locator("#board .card")).to_have_count(5)
    first = page.locator(f"#project-{board['projects']['Garage solidaire']}")
    expect(first).to_be_focused()  # the board's tab stop, the arrow keys work from there
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#project-{board['projects']['Épicerie vrac']}")).to_be_focused()
    for stage in (1, 2):
        expect(page.locator(f"#last-stage-{board['stages'][stage]}")).to_have_value("all")


def test_a_dropped_card_shows_it_is_moving_until_the_answer(page, live_server, live_app, board,
                                                            monkeypatch):
    """On a slow network or server the dropped card says it is moving (aria-busy, a spinner
    in its corner) without reflowing, until the answer replaces it."""
    slow_requests(monkeypatch, live_app, "/move", 0.8)
    log_in(page, live_server, "yann@cades.example")
    garage = board["projects"]["Garage solidaire"]
    card = page.locator(f"#project-{garage}")
    height = card.bounding_box()["height"]
    drag(page, card, page.locator(f"#cards-stage-{board['stages'][2]} .card").first)
    expect(card).to_have_attribute("aria-busy", "true")
    assert abs(card.bounding_box()["height"] - height) <= 1
    expect(page.locator(f"#cards-stage-{board['stages'][2]} #project-{garage}")).to_be_visible()
    expect(page.locator("[aria-busy]")).to_have_count(0)
    assert stage_of(live_app, garage) == board["stages"][2]
