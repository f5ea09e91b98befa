"""The keyboard in Chromium (issue 9): moving between the board's cards with the arrow keys,
M to move a card, Escape closing menus and controls opened in place, "?" listing the
shortcuts, a focus ring of at least 3:1, and axe-core at every impact on the states reached,
in French and in English."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.board.services import move_project
from incubator.extensions import db
from incubator.models import Project, User
from incubator.notes.services import create_note

from .. import factories
from .conftest import axe_violations, log_in
from .test_board import board, stage_of  # noqa: F401 (the fixture)

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")

IDLE = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def wait_idle(page: Page) -> None:
    page.wait_for_function(IDLE)


def card(page: Page, data, title: str):
    return page.locator(f"#project-{data['projects'][title]}")


def focused_id(page: Page) -> str:
    return page.evaluate("() => document.activeElement.id")


def contrast(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours (0–255 channels)."""
    def luminance(rgb):
        def channel(c):
            c = c / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(c) for c in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(n) for n in re.findall(r"[\d.]+", css))


# ---- arrow keys, one tab stop --------------------------------------------------------------

def test_the_board_is_one_tab_stop_and_arrow_keys_go_from_card_to_card(page, live_server,
                                                                         board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    # One card takes the tab stop; the links inside the cards are out of the tab order.
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)
    expect(page.locator("#board .card a[tabindex='-1']")).to_have_count(10)
    first = page.locator("#board .card[tabindex='0']")
    expect(first).to_have_attribute("aria-labelledby", re.compile(r"-title$"))
    # Tab from the search box reaches it after the filters, and leaves the board at once.
    page.locator("#filter-q").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('#board')"):
            break
    expect(first).to_be_focused()
    garage, epicerie = card(page, board, "Garage solidaire"), card(page, board, "Épicerie vrac")
    tiers, recyclerie = card(page, board, "Tiers-lieu de Pipriac"), card(page, board, "Recyclerie")
    gite = card(page, board, "Gîte de groupe")
    expect(garage).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(epicerie).to_be_focused()
    page.keyboard.press("ArrowDown")  # the last card of the column: it stays
    expect(epicerie).to_be_focused()
    page.keyboard.press("ArrowRight")  # the nearest card of the next column, at its height
    expect(recyclerie).to_be_focused()
    page.keyboard.press("Home")
    expect(tiers).to_be_focused()
    page.keyboard.press("End")
    expect(recyclerie).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(tiers).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(gite).to_be_focused()
    page.keyboard.press("ArrowRight")  # the last two columns are empty: nowhere to go
    expect(gite).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(tiers).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(garage).to_be_focused()
    page.keyboard.press("ArrowRight")
    # The card the user is on keeps the tab stop: Tab leaves the board, Shift+Tab comes back.
    expect(tiers).to_have_attribute("tabindex", "0")
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)
    page.keyboard.press("Tab")
    assert page.evaluate("() => !document.activeElement.closest('#board')")
    page.keyboard.press("Shift+Tab")
    expect(tiers).to_be_focused()
    # Enter on a card opens its project.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/projects/{board['projects']['Tiers-lieu de Pipriac']}$"))


def test_m_opens_the_move_control_and_enter_moves_the_card(page, live_server, live_app, board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    epicerie = board["projects"]["Épicerie vrac"]
    page.locator(f"#project-{epicerie}").focus()
    page.keyboard.press("m")
    stage = page.locator(f"#move-project-{epicerie}-stage")
    expect(stage).to_be_focused()
    wait_idle(page)
    page.keyboard.press("ArrowDown")  # Accueil → Émergence
    page.keyboard.press("ArrowDown")  # → Étude de faisabilité
    expect(stage).to_have_value(str(board["stages"][3]))
    page.keyboard.press("Enter")
    moved = page.locator(f"#cards-stage-{board['stages'][3]} #project-{epicerie}")
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()
    expect(moved).to_have_attribute("tabindex", "0")
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)
    expect(page.locator("#board-announcer")).to_contain_text("Étude de faisabilité")
    assert stage_of(live_app, epicerie) == board["stages"][3]
    # The arrows go on from its new place (the end of the column), once the move's swaps
    # have settled (a key pressed while one still runs could be taken before its focus).
    wait_idle(page)
    page.keyboard.press("ArrowUp")
    expect(card(page, board, "Gîte de groupe")).to_be_focused()


def test_arrow_down_past_the_last_loaded_card_loads_the_rest_of_the_column(page, live_server,
                                                                           live_app, board):  # noqa: F811
    live_app.config["BOARD_COLUMN_CARDS"] = 2
    with live_app.app_context():
        factories.project(title="Atelier vélo", stage_position=1)
        factories.project(title="Café associatif", stage_position=1)
        db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 400})  # "load more" out of view
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    column = page.locator(f"#cards-stage-{board['stages'][1]} .card")
    column.nth(0).focus()
    page.keyboard.press("ArrowDown")
    expect(column.nth(1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(column).to_have_count(4)
    expect(column.nth(2)).to_be_focused()
    page.keyboard.press("End")
    expect(column.nth(3)).to_be_focused()
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)


VISIBLE = """(card) => {
  const c = card.getBoundingClientRect(), b = document.getElementById("board").getBoundingClientRect();
  return c.left >= b.left && c.right <= b.right && c.top >= 0 && c.bottom <= innerHeight;
}"""


def test_on_a_narrow_screen_the_arrow_keys_scroll_the_card_they_reach_into_view(
        page, live_server, board):  # noqa: F811
    page.set_viewport_size({"width": 375, "height": 700})
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    garage, tiers = card(page, board, "Garage solidaire"), card(page, board, "Tiers-lieu de Pipriac")
    gite = card(page, board, "Gîte de groupe")
    garage.focus()
    for key, reached in [("ArrowRight", tiers), ("ArrowRight", gite), ("ArrowLeft", tiers),
                         ("ArrowLeft", garage)]:
        page.keyboard.press(key)
        expect(reached).to_be_focused()
        assert reached.evaluate(VISIBLE), key
    # A card moved with M lands in view in its new column.
    page.keyboard.press("m")
    expect(page.locator(f"#move-project-{board['projects']['Garage solidaire']}-stage")
           ).to_be_focused()
    wait_idle(page)
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    moved = page.locator(f"#cards-stage-{board['stages'][5]} .card")
    expect(moved).to_be_focused()
    assert moved.evaluate(VISIBLE)


def test_a_move_back_without_a_comment_leads_from_the_error_summary_to_the_comment(
        page, live_server, live_app, board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    tiers = board["projects"]["Tiers-lieu de Pipriac"]
    page.locator(f"#project-{tiers}").focus()
    page.keyboard.press("m")
    stage = page.locator(f"#move-project-{tiers}-stage")
    expect(stage).to_be_focused()
    wait_idle(page)
    page.keyboard.press("ArrowUp")  # Émergence → Accueil: a step back needs a reason
    page.keyboard.press("Enter")
    comment = page.locator(f"#move-project-{tiers}-comment")
    expect(comment).to_have_attribute("aria-invalid", "true")
    summary = page.locator(f"#move-project-{tiers}-errors")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    expect(summary.locator(f"a[href='#move-project-{tiers}-comment']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(comment).to_be_focused()
    page.keyboard.type("Le porteur revoit son idée")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(stage).to_be_focused()
    expect(stage).to_have_value(str(board["stages"][1]))
    page.keyboard.press("Enter")
    expect(page.locator(f"#cards-stage-{board['stages'][1]} #project-{tiers}")).to_be_focused()
    assert stage_of(live_app, tiers) == board["stages"][1]


def test_a_card_that_leaves_the_page_gives_the_focus_to_its_neighbour(page, live_server,
                                                                      live_app, board):  # noqa: F811
    live_app.config["BOARD_COLUMN_CARDS"] = 2
    with live_app.app_context():
        factories.project(title="Atelier vélo", stage_position=2)
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    garage, epicerie = card(page, board, "Garage solidaire"), card(page, board, "Épicerie vrac")
    # Moved below what the next column has loaded ("load more" will bring it).
    garage.focus()
    page.keyboard.press("m")
    expect(page.locator(f"#move-project-{board['projects']['Garage solidaire']}-stage")
           ).to_be_focused()
    wait_idle(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#board-announcer")).to_contain_text("Émergence")
    expect(garage).to_have_count(0)
    expect(epicerie).to_be_focused()
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)
    # Closed from its move control, alone in its column: the focus goes to the board's tab
    # stop.
    page.keyboard.press("m")
    reason = page.locator(f"#move-project-{board['projects']['Épicerie vrac']}-close-reason")
    wait_idle(page)
    page.locator(f"#project-{board['projects']['Épicerie vrac']} .status-forms summary").focus()
    page.keyboard.press("Enter")
    reason.focus()
    page.keyboard.type("Le porteur arrête")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(epicerie).to_have_count(0)
    expect(card(page, board, "Tiers-lieu de Pipriac")).to_have_count(1)
    expect(page.locator("#board .card[tabindex='0']")).to_be_focused()
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)


def test_tab_to_load_more_loads_the_column_and_puts_the_focus_on_the_first_card_it_brought(
        page, live_server, live_app, board):  # noqa: F811
    live_app.config["BOARD_COLUMN_CARDS"] = 2
    with live_app.app_context():
        factories.project(title="Atelier vélo", stage_position=1)
        db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 400})  # "load more" out of view
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    column = page.locator(f"#cards-stage-{board['stages'][1]} .card")
    column.nth(0).focus()
    page.keyboard.press("Tab")  # onto "Load more": it comes into view and loads (the last)
    expect(column).to_have_count(3)
    expect(column.nth(2)).to_be_focused()
    expect(page.locator("#board [tabindex='0']")).to_have_count(1)


# ---- Escape -------------------------------------------------------------------------------

def test_escape_closes_the_move_control_and_its_close_form_back_to_the_card(page, live_server,
                                                                            live_app, board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    garage = board["projects"]["Garage solidaire"]
    page.locator(f"#project-{garage}").focus()
    page.keyboard.press("m")
    expect(page.locator(f"#move-project-{garage}-stage")).to_be_focused()
    wait_idle(page)
    page.keyboard.press("Escape")
    expect(page.locator("#board .card.editing")).to_have_count(0)
    expect(page.locator(f"#project-{garage}")).to_be_focused()
    # The close form folded in the control: Escape folds it, then closes the control.
    page.keyboard.press("m")
    expect(page.locator(f"#move-project-{garage}-stage")).to_be_focused()
    wait_idle(page)
    summary = page.locator(f"#project-{garage} .status-forms summary")
    summary.click()
    reason = page.locator(f"#move-project-{garage}-close-reason")
    reason.fill("plus de porteur")
    reason.focus()
    page.keyboard.press("Escape")
    expect(page.locator(f"#project-{garage} .status-forms")).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#board .card.editing")).to_have_count(0)
    expect(page.locator(f"#project-{garage}")).to_be_focused()
    assert stage_of(live_app, garage) == board["stages"][1]


def test_escape_closes_the_user_menu_back_to_its_toggle(page, live_server, board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    menu = page.locator("details.user-menu")
    summary = menu.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Tab")  # on "Your sessions"
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    # Opened with the mouse, the focus elsewhere: Escape closes it too.
    summary.click()
    expect(menu).to_have_attribute("open", "")
    page.locator("#filter-q").focus()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")


def test_escape_closes_the_notification_menu_back_to_the_bell(page, live_server, board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    bell = page.locator("#notification-bell-link")
    bell.focus()
    page.keyboard.press("Enter")
    menu = page.locator("#notification-menu")
    expect(menu).to_be_visible()
    expect(page.locator("#notification-bell-link")).to_have_attribute("aria-expanded", "true")
    wait_idle(page)
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(page.locator("#notification-bell-link")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#notification-bell-link")).to_be_focused()


def test_escape_closes_the_description_editor_and_a_note_editor_on_the_project_page(
        page, live_server, live_app, board):  # noqa: F811
    project_id = board["projects"]["Garage solidaire"]
    with live_app.app_context():
        project = db.session.get(Project, project_id)
        author = db.session.scalar(select(User).where(User.email == "yann@cades.example"))
        create_note(project, author, kind="call", happened_on=date(2026, 11, 2),
                    body="Appel avec Anne", visibility="internal")
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    block = page.locator(f"#description-project-{project_id}")
    block.locator(".section-head a").click()
    title = block.locator("input[name=title]")
    expect(title).to_be_focused()
    wait_idle(page)
    title.fill("Un autre titre")
    page.keyboard.press("Escape")
    expect(block.locator("input[name=title]")).to_have_count(0)
    expect(block.locator(".section-head a")).to_be_focused()
    with live_app.app_context():
        assert db.session.get(Project, project_id).title == "Garage solidaire"
    # A note being edited: Escape gives it back as it was, the focus on its "Edit".
    note = page.locator(f"#note-list-project-{project_id} article.note").first
    note.locator("[data-note-edit]").click()
    body = page.locator("article.note.editing textarea")
    expect(body).to_be_focused()
    wait_idle(page)
    page.keyboard.press("Escape")
    expect(page.locator("article.note.editing")).to_have_count(0)
    expect(note.locator("[data-note-edit]")).to_be_focused()
    # The folded "new note" form: Escape folds it, the focus on its summary.
    new_note = page.locator("details.note-new")
    new_note.locator("> summary").click()
    page.locator(f"#new-note-project-{project_id}-body").focus()
    page.keyboard.press("Escape")
    expect(new_note).not_to_have_attribute("open", "")
    expect(new_note.locator("> summary")).to_be_focused()


# ---- "?" ----------------------------------------------------------------------------------

def test_question_mark_lists_the_shortcuts_and_escape_brings_the_focus_back(page, live_server,
                                                                             board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    garage = card(page, board, "Garage solidaire")
    garage.focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Raccourcis clavier")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Sur toutes les pages")).to_be_visible()
    expect(dialog.get_by_role("heading", name="Sur le tableau de suivi")).to_be_visible()
    expect(dialog).to_contain_text("Déplacer la carte")
    expect(dialog.get_by_role("button", name="Fermer")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(garage).to_be_focused()


def test_on_a_small_screen_the_shortcuts_open_at_their_top_and_the_arrow_keys_scroll_them(
        page, live_server, board):  # noqa: F811
    page.set_viewport_size({"width": 320, "height": 480})  # WCAG's reflow width
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    garage = card(page, board, "Garage solidaire")
    garage.focus()
    page.keyboard.press("?")
    box = page.locator("#shortcuts article")
    expect(box).to_be_focused()
    assert box.evaluate("b => b.scrollTop") == 0
    expect(page.locator("#shortcuts-title")).to_be_in_viewport()
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('#shortcuts article').scrollTop > 0")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Fermer")).to_be_focused()
    expect(page.get_by_role("button", name="Fermer")).to_be_in_viewport()
    assert axe_violations(page, impacts=ALL_IMPACTS) == []
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()
    expect(garage).to_be_focused()


def test_closing_the_shortcuts_finds_the_card_again_after_the_board_refreshed_behind_them(
        page, live_server, live_app, board):  # noqa: F811
    live_app.config["BOARD_POLL_SECONDS"] = 1
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    garage = card(page, board, "Garage solidaire")
    garage.focus()
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    with live_app.app_context():  # a colleague moves a card of the same column
        epicerie = db.session.get(Project, board["projects"]["Épicerie vrac"])
        sophie = db.session.scalar(select(User).where(User.email == "sophie@cades.example"))
        move_project(epicerie, sophie, stage_id=board["stages"][2], seen_version=epicerie.version,
                     after_id=None, index=None, comment="")
        db.session.commit()
    expect(page.locator(f"#cards-stage-{board['stages'][2]} "
                        f"#project-{board['projects']['Épicerie vrac']}")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(garage).to_be_focused()


def test_typing_a_question_mark_in_the_search_box_does_not_open_the_list(page, live_server,
                                                                          board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    search = page.locator("#filter-q")
    search.focus()
    page.keyboard.type("vrac ?")
    expect(search).to_have_value("vrac ?")
    expect(page.locator("#shortcuts")).to_be_hidden()


def test_the_shortcuts_button_opens_the_list_on_any_page_and_close_returns(page, live_server,
                                                                            board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/next-steps")
    button = page.locator("footer [data-shortcuts]")
    expect(button).to_be_visible()
    button.click()
    dialog = page.get_by_role("dialog", name="Raccourcis clavier")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Sur le tableau de suivi")).to_have_count(0)
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()


# ---- focus ring ---------------------------------------------------------------------------

RING = """(el) => {
  const style = getComputedStyle(el);
  let node = el.parentElement, background = "rgb(255, 255, 255)";
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== "transparent" && !bg.endsWith(", 0)")) { background = bg; break; }
    node = node.parentElement;
  }
  return {color: style.outlineColor, width: parseFloat(style.outlineWidth),
          style: style.outlineStyle, offset: parseFloat(style.outlineOffset), background};
}"""


def test_the_focus_ring_has_at_least_3_to_1_contrast_everywhere(page, live_server, board):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    wait_idle(page)
    garage = board["projects"]["Garage solidaire"]
    page.keyboard.press("Tab")  # keyboard use: :focus-visible from now on
    targets = {
        "link": "nav a[href='/board']",
        "summary": "details.user-menu summary",
        "button": ".lang-switch button[value='en']",
        "search": "#filter-q",
        "select": "#board-filters select[name='advisor']",
        "switch": "#board-filters input[name='mine']",
        "card": f"#project-{garage}",
        "footer button": "footer [data-shortcuts]",
    }
    measured = {}
    for name, selector in targets.items():
        element = page.locator(selector)
        element.focus()
        expect(element).to_be_focused()
        ring = element.evaluate(RING)
        assert ring["style"] == "solid", (name, ring)
        assert ring["width"] >= 2, (name, ring)
        assert ring["offset"] >= 1, (name, ring)  # drawn on the background around it
        measured[name] = contrast(rgb(ring["color"]), rgb(ring["background"]))
    assert min(measured.values()) >= 3, measured
    # The inline move control's fields too (on a column's background).
    page.locator(f"#project-{garage}").focus()
    page.keyboard.press("m")
    stage = page.locator(f"#move-project-{garage}-stage")
    expect(stage).to_be_focused()
    ring = stage.evaluate(RING)
    assert contrast(rgb(ring["color"]), rgb(ring["background"])) >= 3, ring


# ---- axe at every impact, both languages -------------------------------------------------

def switch_to(page: Page, locale: str) -> None:
    if locale == "en":
        page.locator(".lang-switch button[value='en']").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.wait_for_load_state("load")


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_board_states_have_no_accessibility_violation_of_any_impact(page, live_server,
                                                                         board, locale):  # noqa: F811
    log_in(page, live_server, "yann@cades.example")
    switch_to(page, locale)
    wait_idle(page)
    assert axe_violations(page, impacts=ALL_IMPACTS) == [], "board"
    garage = board["projects"]["Garage solidaire"]
    # The open move control, reached with the keyboard.
    page.locator(f"#project-{garage}").focus()
    page.keyboard.press("m")
    expect(page.locator(f"#move-project-{garage}-stage")).to_be_focused()
    wait_idle(page)
    assert axe_violations(page, impacts=ALL_IMPACTS) == [], "move control"
    page.keyboard.press("Escape")
    expect(page.locator(f"#project-{garage}")).to_be_focused()
    # The list of shortcuts.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    assert axe_violations(page, impacts=ALL_IMPACTS) == [], "shortcuts"
    page.keyboard.press("Escape")
    # A filter that matches nothing: the board scrolls sideways with no card to focus.
    page.goto(live_server + "/board?q=zzzz")
    expect(page.locator("#board .card")).to_have_count(0)
    expect(page.locator("#board")).to_have_attribute("tabindex", "0")
    assert axe_violations(page, impacts=ALL_IMPACTS) == [], "empty board"
    # The same, reached live by typing in the search box.
    page.goto(live_server + "/board")
    page.locator("#filter-q").fill("zzzz")
    expect(page.locator("#board .card")).to_have_count(0)
    wait_idle(page)
    expect(page.locator("#board")).to_have_attribute("tabindex", "0")
    assert axe_violations(page, impacts=ALL_IMPACTS) == [], "empty board (live)"
    # The move page, the control without JavaScript.
    page.goto(f"{live_server}/projects/{garage}/move")
    expect(page.locator("h1")).to_have_count(1)
    assert axe_violations(page, impacts=ALL_IMPACTS) == [], "move page"


def test_the_move_page_still_moves_a_project_without_javascript(browser, live_server, live_app,
                                                                 board):  # noqa: F811
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/auth/login")
        page.get_by_label("Adresse e-mail").fill("yann@cades.example")
        page.locator("#password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_url(re.compile(r"/board$"))
        expect(page.locator("[data-shortcuts]").first).to_be_hidden()
        garage = board["projects"]["Garage solidaire"]
        page.locator(f"#project-{garage} .card-move").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Garage solidaire")
        page.locator(f"#move-project-{garage}-stage").select_option(str(board["stages"][2]))
        page.get_by_role("button", name="Déplacer", exact=True).click()
        expect(page).to_have_url(re.compile(r"/board"))
        assert stage_of(live_app, garage) == board["stages"][2]
    finally:
        context.close()
