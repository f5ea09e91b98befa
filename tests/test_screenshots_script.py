"""scripts/screenshots.py names pages the app serves: each path of its list is a GET route
(no browser needed here; the script itself runs Chromium)."""

from __future__ import annotations

from scripts.screenshots import PAGES, WIDTHS


def test_every_screenshot_is_of_a_route_the_app_serves(app):
    adapter = app.url_map.bind("localhost")
    for name, _who, path in PAGES:
        endpoint, _ = adapter.match(path.format(project=1), method="GET")
        assert endpoint != "static", name


def test_screenshots_are_taken_at_a_phone_and_a_laptop_width():
    assert set(WIDTHS) == {375, 1280}
    assert len({name for name, _, _ in PAGES}) == len(PAGES)
