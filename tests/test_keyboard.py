"""What the keyboard needs from the server's markup (issue 9): the move page has its own
heading, an empty board takes the focus (it scrolls sideways), the list of shortcuts is on
every page with the board's own on the board, controls opened in place say how to cancel
them on Escape, and the focus ring defined once in app.css has 3:1 contrast."""

from __future__ import annotations

import re
from pathlib import Path

from incubator.extensions import db

from . import factories

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"


def test_the_move_page_has_a_level_one_heading_and_the_inline_control_does_not(client, login):
    login("advisor")
    project = factories.project(title="Garage solidaire")
    db.session.commit()
    page = client.get(f"/projects/{project.id}/move")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert re.search(r"<h1 [^>]*>Move “Garage solidaire”</h1>", html)
    inline = client.get(f"/projects/{project.id}/move", htmx=True)
    fragment = inline.get_data(as_text=True)
    assert inline.status_code == 200 and "<html" not in fragment
    assert "<h1" not in fragment
    assert 'data-escape' in fragment and 'data-cancel' in fragment
    assert "HX-Request" in inline.headers["Vary"]


def test_an_empty_board_takes_the_focus_and_a_board_with_cards_does_not(client, login):
    login("advisor")
    factories.project(title="Recyclerie")
    db.session.commit()
    with_cards = client.get("/board").get_data(as_text=True)
    assert re.search(r'<div class="board" id="board"[^>]*role="region"', with_cards)
    assert not re.search(r'<div class="board" id="board"[^>]*tabindex', with_cards)
    for response in (client.get("/board?q=zzzz"), client.get("/board?q=zzzz", htmx=True)):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert re.search(r'<div class="board" id="board"[^>]*tabindex="0"', html)


def test_the_shortcuts_are_listed_on_every_page_and_the_boards_on_the_board(client, login,
                                                                         auth):
    login("advisor")
    board = client.get("/board").get_data(as_text=True)
    assert 'id="shortcuts"' in board and "On every page" in board and "On the board" in board
    assert board.count("data-shortcuts ") == 2  # the footer's button and the board's
    other = client.get("/next-steps").get_data(as_text=True)
    assert 'id="shortcuts"' in other and "On the board" not in other
    auth.logout()
    assert 'id="shortcuts"' in client.get("/auth/login").get_data(as_text=True)


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_colour_has_3_to_1_contrast_on_every_background_of_app_css():
    css = CSS.read_text(encoding="utf-8")
    ring = re.search(r"--inc-focus:\s*(#[0-9a-fA-F]{6})", css).group(1)
    assert re.search(r":focus-visible \{ outline: 3px solid var\(--inc-focus\); "
                     r"outline-offset: 2px; \}", css)
    # Every light background the stylesheet paints (the ring is drawn on them, 2px away
    # from the focused element), and the page's white.
    backgrounds = {"#ffffff"} | {
        colour.lower() for colour in re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{6})\b", css)
        if _luminance(colour) > 0.5
    }
    assert len(backgrounds) > 5
    ratios = {colour: round(_contrast(ring, colour), 2) for colour in backgrounds}
    assert min(ratios.values()) >= 3, ratios


def test_a_refused_move_or_close_form_gives_the_focus_to_its_error_summary(client, login):
    """The stage list takes the focus when the move control opens; a refused move or close
    gives it to the error summary (issue 9: focus on the summary, each error a link to its
    field), and no field competes for it with autofocus."""
    login("advisor")
    project = factories.project(title="Garage solidaire", stage_position=2)
    db.session.commit()
    p = f"move-project-{project.id}"

    def focused(html: str) -> list[str]:
        return re.findall(r'<[^>]*\bautofocus\b[^>]*\bid="([^"]+)"|'
                          r'<[^>]*\bid="([^"]+)"[^>]*\bautofocus\b', html)

    def ids(html: str) -> list[str]:
        return [a or b for a, b in focused(html)]

    opened = client.get(f"/projects/{project.id}/move", htmx=True).get_data(as_text=True)
    assert ids(opened) == [f"{p}-stage"]
    back = client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": factories.stage(1).id, "version": project.version})
    assert back.status_code == 422
    html = back.get_data(as_text=True)
    assert ids(html) == []
    assert "data-error-summary" in html and f'href="#{p}-comment"' in html
    closing = client.post(f"/projects/{project.id}/close", data={
        "outcome": "launched", "reason": "", "version": project.version})
    assert closing.status_code == 422
    html = closing.get_data(as_text=True)
    assert ids(html) == []
    assert "data-error-summary" in html and f'href="#{p}-close-reason"' in html
