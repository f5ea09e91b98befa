"""The hostile data set (tests/hostile_data.py) in Chromium: opening the project page or the
board sends no request a payload asked for, and opens no dialog."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from ..hostile_data import build
from .conftest import log_in

# What the payloads name: the invitation URL and the /qzNNq paths of the break-outs.
PAYLOAD_URL = re.compile(r"/admin/users/invite|/qz\d+q")


@pytest.mark.parametrize("role", ["manager", "advisor"])
def test_hostile_data_sends_no_request_from_the_project_page_or_the_board(
        page: Page, live_server, live_app, role):
    with live_app.app_context():
        data = build(live_app, pages=False)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, data.emails[role])
    sent: list[tuple[str, str]] = []  # from the start of each page load (htmx acts on load)
    page.on("request", lambda request: sent.append((request.method, request.url)))
    for path in (f"/projects/{data.ids['project']}", f"/projects/{data.ids['closed']}",
                 "/board", f"/projects/{data.ids['project']}/move"):
        sent.clear()
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(1500)
        assert [r for r in sent if r[0] not in ("GET", "HEAD")] == [], path
        assert [r for r in sent if PAYLOAD_URL.search(r[1])] == [], path
    # The move control opened inside a card (the fragment that carries htmx attributes).
    page.goto(live_server + "/board")
    page.wait_for_load_state("load")
    sent.clear()
    page.locator(f"#project-{data.ids['project']} .card-move").first.click()
    page.locator(f"#project-{data.ids['project']} form.move-form").wait_for()
    page.wait_for_timeout(1500)
    assert [r for r in sent if r[0] not in ("GET", "HEAD")] == []
    assert [r for r in sent if PAYLOAD_URL.search(r[1])] == []
    assert dialogs == []
