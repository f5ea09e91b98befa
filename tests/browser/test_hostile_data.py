"""The hostile data set (tests/hostile_data.py) in Chromium: opening the project page or the
board sends no request a payload asked for, and opens no dialog."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from ..hostile_data import build_once
from .conftest import log_in

# What the payloads name: the invitation URL and the /qzNNq paths of the break-outs.
PAYLOAD_URL = re.compile(r"/admin/users/invite|/qz\d+q")
QUIET_MS = 500  # as Playwright's "networkidle": no request for 500 ms


class Network:
    """Counts the requests the page starts, to wait until it is quiet: what Playwright's
    ``networkidle`` waits for after a page load, usable after a click too (htmx sends a
    payload's ``hx-trigger=load`` request as soon as it processes the new content)."""

    def __init__(self, page: Page):
        self.page, self.started = page, 0
        page.on("request", lambda request: setattr(self, "started", self.started + 1))

    def wait_until_quiet(self, timeout_ms: int = 10_000) -> None:
        """Until htmx is idle and no request was started for QUIET_MS."""
        quiet, seen = 0, -1
        for _ in range(timeout_ms // 100):
            if quiet >= QUIET_MS:
                return
            self.page.wait_for_timeout(100)
            idle = self.page.evaluate("() => !document.querySelector('.htmx-request')")
            quiet = quiet + 100 if idle and self.started == seen else 0
            seen = self.started
        raise AssertionError(f"the page still sends requests after {timeout_ms} ms")


@pytest.mark.parametrize("role", ["manager", "advisor"])
def test_hostile_data_sends_no_request_from_the_project_page_or_the_board(
        page: Page, live_server, live_app, role):
    with live_app.app_context():
        data = build_once(live_app)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, data.emails[role])
    network = Network(page)
    sent: list[tuple[str, str]] = []  # from the start of each page load (htmx acts on load)
    page.on("request", lambda request: sent.append((request.method, request.url)))
    for path in (f"/projects/{data.ids['project']}", f"/projects/{data.ids['closed']}",
                 "/board", f"/projects/{data.ids['project']}/move"):
        sent.clear()
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        network.wait_until_quiet()
        assert [r for r in sent if r[0] not in ("GET", "HEAD")] == [], path
        assert [r for r in sent if PAYLOAD_URL.search(r[1])] == [], path
    # The move control opened inside a card (the fragment that carries htmx attributes).
    page.goto(live_server + "/board")
    page.wait_for_load_state("load")
    sent.clear()
    page.locator(f"#project-{data.ids['project']} .card-move").first.click()
    page.locator(f"#project-{data.ids['project']} form.move-form").wait_for()
    network.wait_until_quiet()
    assert [r for r in sent if r[0] not in ("GET", "HEAD")] == []
    assert [r for r in sent if PAYLOAD_URL.search(r[1])] == []
    assert dialogs == []
