"""The browser the tests launch: Playwright's own switches kept, and no address-bar popup
loaded in every window (tests/browser/conftest.py, LAUNCH_ARGS)."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import DISABLED_FEATURES


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    return children


def _browser_command_lines() -> list[list[str]]:
    """The command lines of the Chromium browser processes below this one (Playwright's
    driver starts them; their renderers and helpers carry ``--type=``)."""
    children, found, todo = _children(), [], [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                argv = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
            except OSError:
                continue
            if "--remote-debugging-pipe" in argv and not any(a.startswith("--type=") for a in argv):
                found.append(argv)
    return found


def test_the_browser_keeps_playwrights_disabled_features(browser):
    """Chromium applies the last ``--disable-features`` only: ours must name every feature
    Playwright's own switch (before it) disables, whatever Playwright's version adds."""
    command_lines = _browser_command_lines()
    assert command_lines
    for argv in command_lines:
        switches = [a.split("=", 1)[1].split(",") for a in argv
                    if a.startswith("--disable-features=")]
        assert switches and set(switches[-1]) == set(DISABLED_FEATURES)
        for earlier in switches[:-1]:
            assert set(earlier) <= set(switches[-1]), set(earlier) - set(switches[-1])


def test_a_new_window_loads_no_address_bar_popup(browser):
    session = browser.new_browser_cdp_session()
    context = browser.new_context()
    try:
        context.new_page().goto("data:text/html,<title>t</title>")
        targets = session.send("Target.getTargets")["targetInfos"]
        assert [t["url"] for t in targets if t["type"] != "page"] == []
    finally:
        context.close()
        session.detach()
