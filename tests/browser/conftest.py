"""Browser tests: Playwright driving Debian's chromium against the app served in a thread.

Without /usr/bin/chromium these tests are skipped (a newcomer's machine), unless
INCUBATOR_REQUIRE_BROWSER=1 (CI), where a missing browser is an error.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from incubator.extensions import db

from ..conftest import (
    SHARED_ENGINE_URLS,
    TEST_DATABASE_URL,
    is_postgres,
    make_app,
    reset_database,
)

CHROMIUM = os.environ.get("INCUBATOR_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
# Chromium's new headless mode (Debian's chromium has no headless shell) loads the address
# bar's popups, two WebUI renderers, in every window: ~1.3 CPU s a browser context, more than
# the tested page's own renderer (docs/testing.md, "CI time, fourth pass").
# Chromium keeps the last --disable-features only: this one repeats Playwright's list
# (chromiumSwitches.ts), and test_the_browser_keeps_playwrights_disabled_features fails if
# Playwright's own list has a name this one lacks.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
    "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled",
    "PreconnectToSearch", "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
)
DISABLED_FEATURES = PLAYWRIGHT_DISABLED_FEATURES + ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
]


# The longest tests (a minute or more each), run first: pytest-xdist (``--dist worksteal``,
# pyproject.toml) lets a worker that ran out take the other's tests not yet started, so the
# two finish together as long as the last tests are short ones.
# The hostile-data crawls (tests/test_hostile_data.py: every page as every role in both
# languages through the test client, ~1,000 requests; the browser's, two roles) follow.
FIRST = ("test_every_page.py", "test_hostile_data.py")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
    # Stable: keeps the order of the rest, and of FIRST's files among themselves.
    order = {name: rank for rank, name in enumerate(FIRST)}
    items.sort(key=lambda item: order.get(Path(item.fspath).name, len(FIRST)))
    if not Path(CHROMIUM).exists():
        if os.environ.get("INCUBATOR_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"{CHROMIUM} is missing: install Debian's chromium")
        skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-base-url's fixture (which warns under pytest 9): tests use full URLs
    from ``live_server``."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture
def browser_context_args(browser_context_args):
    # A French user, as the pole's users are.
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture(autouse=True)
def _watch_the_page(page):
    """Fail fast, and fail any test whose pages broke the CSP or threw a script error."""
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and "favicon" not in m.text and "status of 4" not in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield
    assert problems == []


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory) -> str:
    """The live server's database: the test database on PostgreSQL; on SQLite one file per
    process (a test's app copies the template over it), whose engine the tests share."""
    if is_postgres():
        return TEST_DATABASE_URL
    url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'live.db'}"
    SHARED_ENGINE_URLS.add(url)
    return url


@pytest.fixture
def live_app(live_database_url):
    url = live_database_url
    # Served on 127.0.0.1 (any port), the host it answers (see TRUSTED_HOSTS); data sets are
    # also built through the test client beside the browser, whose host is localhost.
    # Static files kept by the browser for the test's length: each page load would otherwise
    # ask again for the five stylesheets and scripts (a 304 each, through the whole app).
    app = make_app(url, BASE_URL="http://127.0.0.1", EXTRA_TRUSTED_HOSTS=["localhost"],
                   SEND_FILE_MAX_AGE_DEFAULT=3600)
    reset_database(app)
    return app


class _InFlight:
    """The requests the live server is still answering, counted by its handler threads.

    A request is in flight from the handler's start until its answer is written (or the
    client went away); a keep-alive connection waiting for the browser's next request is
    not. The live server's teardown waits for none to be left before it drops the
    database, so no request of a finished test meets a dropped schema or leaves its
    connection to the garbage collector (psycopg's ``BaseConnection.__del__`` then reports
    it in whatever test runs next). Counted around ``run_wsgi``, not around the WSGI
    response's ``close()``: werkzeug skips that close when the client hung up first.
    """

    def __init__(self):
        self.count = 0
        self.idle = threading.Condition()

    def enter(self) -> None:
        with self.idle:
            self.count += 1

    def leave(self) -> None:
        with self.idle:
            self.count -= 1
            self.idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for no request to be in flight; True if none is."""
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout)


class _CountedHandler(WSGIRequestHandler):
    def run_wsgi(self) -> None:
        in_flight = self.server.in_flight  # type: ignore[attr-defined]
        in_flight.enter()
        try:
            super().run_wsgi()
        finally:
            in_flight.leave()


def slow_requests(monkeypatch, app, path_end: str, seconds: float) -> None:
    """Hold every request to ``app`` whose path ends with ``path_end`` for ``seconds``
    before answering it (a slow server; the live server's other threads go on, unlike a
    Playwright route handler, which holds the test's own thread)."""
    answer = app.wsgi_app

    def slow(environ, start_response):
        if environ["PATH_INFO"].endswith(path_end):
            time.sleep(seconds)
        return answer(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", slow)


# The app each running live server serves, by base URL (log_in posts to it).
_live_apps: dict[str, object] = {}


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """The app served on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True,
                         request_handler=_CountedHandler)
    server.in_flight = in_flight = _InFlight()  # type: ignore[attr-defined]
    live_app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # mailed links
    # Polled every 20 ms for the shutdown request (werkzeug's default, 0.5 s, made each
    # test's teardown wait ~0.4 s).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    _live_apps[base] = live_app
    try:
        yield base
    finally:
        del _live_apps[base]
        server.shutdown()
        thread.join(timeout=5)
        # The page may still be fetching (its favicon, a poll): let those answers finish.
        assert in_flight.drain(timeout=10), "a request of the live server never finished"
        with live_app.app_context():
            db.session.remove()
            db.engine.dispose()


# Issue 9 (part D): no violation of any impact, unless a test narrows it down.
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


_axe_source: list[str] = []  # axe-core's 650 kB, read once per process


# axe-core judges the page as rendered: its DOM, styles and scripts, which come from the
# templates, the CSS and the JavaScript, never from the database engine. The browser tests
# build the same rows on both engines, and the page is the same HTML whichever one stored
# them (an order among equal rows, or a timestamp's type, cannot add or remove a label, a
# contrast or an ARIA attribute). So axe-core runs in the SQLite phase only; on PostgreSQL
# the same tests still load every page, act on it and watch its console (about 0.24 s of
# Chromium per check saved: docs/testing.md).
AXE_ON_THIS_DATABASE = not is_postgres()


def axe_violations(page, impacts=ALL_IMPACTS) -> list[dict]:
    """Run axe-core on the page; return the violations of the given impacts (none on
    PostgreSQL, where it does not run: see AXE_ON_THIS_DATABASE)."""
    if not AXE_ON_THIS_DATABASE:
        return []
    if not _axe_source:
        _axe_source.append(AXE.read_text(encoding="utf-8"))
    # Evaluated through the DevTools protocol: our CSP rightly refuses an injected <script>.
    # Once per document: a page checked in several states (a menu opened) keeps it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source[0])
    # Only the violations are gathered in full (axe's documented ``resultTypes``): the
    # passes, incomplete and inapplicable lists, which nobody reads here, keep one node each
    # instead of every node of the page. The rules run and the violations are the same.
    result = page.evaluate("async () => await axe.run({resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in impacts]


def press_enter_on(page, button) -> None:
    """Focus ``button`` and press Enter once htmx is idle: under load, a swap still settling
    moves the focus (the ``autofocus`` of its message) after ours, and Enter would go there."""
    from playwright.sync_api import expect

    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")


def log_in(page, base: str, email: str, lands_on: str = r"/board$") -> None:
    """Log ``email`` in and wait until their landing page has loaded in ``page`` (htmx binds
    its triggers on load: typing earlier would send nothing).

    The login form is posted by the live app's test client, with the browser's user agent
    and languages; the browser is given the session cookie of the answer and opens the page
    it redirects to. The same route, checks and server-side session as a login in the
    browser, without the browser loading, rendering and posting the login page in nearly
    every browser test. ``log_in_through_form`` does it in the browser, for the tests about
    logging in."""
    from playwright.sync_api import expect

    from .. import factories

    app = _live_apps[base]
    client = app.test_client()
    agent, languages = page.evaluate("() => [navigator.userAgent, navigator.languages.join()]")
    answer = client.post("/auth/login", data={"email": email, "password": factories.PASSWORD},
                         headers={"User-Agent": agent, "Accept-Language": languages})
    assert answer.status_code == 303, (email, answer.status_code)
    cookies = SimpleCookie()
    for header in answer.headers.getlist("Set-Cookie"):
        cookies.load(header)
    assert "session" in cookies, answer.headers
    page.context.add_cookies([
        {"name": name, "value": morsel.value, "url": base, "httpOnly": bool(morsel["httponly"]),
         "sameSite": (morsel["samesite"] or "Lax").capitalize()}
        for name, morsel in cookies.items() if morsel.value])
    landing = urlsplit(answer.headers["Location"])
    page.goto(base + landing.path + (f"?{landing.query}" if landing.query else ""))
    expect(page).to_have_url(re.compile(lands_on))
    page.wait_for_load_state("load")


def log_in_through_form(page, base: str, email: str, lands_on: str = r"/board$") -> None:
    """Log in through the French login form, in the browser, and wait until the landing page
    has loaded."""
    from playwright.sync_api import expect

    from .. import factories

    page.goto(base + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(lands_on))
    page.wait_for_load_state("load")
