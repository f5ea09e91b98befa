"""Screenshots of the main pages at 375 px (a phone) and 1280 px (a laptop), for the README.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [OUTPUT_FOLDER]

The demo data (incubator/demo.py) goes into a temporary SQLite database, the app is served on
a free local port, and Debian's chromium (INCUBATOR_CHROMIUM, default /usr/bin/chromium),
driven by Playwright, logs in as each demo user and writes NAME-375.png and NAME-1280.png to
docs/screenshots/ (or OUTPUT_FOLDER). Each image is cut at MAX_HEIGHT pixels to stay small.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("INCUBATOR_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=fr-FR",  # the browser's own widgets (date fields) in French too
]
WIDTHS = {375: 812, 1280: 900}  # width: height of the window
MAX_HEIGHT = 1800

# (file name, who is logged in (None: nobody), path). "{project}" is the demo project with the
# longest story. Who: a key of incubator.demo's DEMO_LOGINS roles, by e-mail.
MANAGER = "claire.rouxel@cades-redon.fr"
ADVISOR = "yann.legoff@cades-redon.fr"
HOLDER = "marion.guerin@exemple.fr"
PAGES: list[tuple[str, str | None, str]] = [
    ("home", None, "/"),
    ("login", None, "/auth/login"),
    ("board", MANAGER, "/board"),
    ("project", ADVISOR, "/projects/{project}"),
    ("new-idea", HOLDER, "/projects/new"),
    ("next-steps", ADVISOR, "/next-steps"),
    ("notifications", HOLDER, "/notifications"),
    ("users", MANAGER, "/admin/users"),
    ("closed-projects", MANAGER, "/board/closed"),
]


def _demo_app(folder: Path):
    """The app on a fresh SQLite database in ``folder``, filled with the demo data."""
    from incubator import create_app
    from incubator.cli import bring_database_up_to_date
    from incubator.config import for_tests
    from incubator.demo import load_demo
    from incubator.extensions import db

    config = for_tests(f"sqlite:///{folder / 'demo.db'}")
    config.update(BASE_URL="http://127.0.0.1")
    app = create_app(config)
    with app.app_context():
        bring_database_up_to_date()
        load_demo()
        db.session.commit()
    return app


def _showcase_project(app) -> int:
    """The demo holder's project: advisor, notes, next steps, a history of moves."""
    from sqlalchemy import select

    from incubator.extensions import db
    from incubator.models import Project, ProjectHolder, User

    with app.app_context():
        return db.session.scalar(
            select(Project.id).join(ProjectHolder, ProjectHolder.project_id == Project.id)
            .join(User, User.id == ProjectHolder.user_id).where(User.email == HOLDER)
            .order_by(Project.id).limit(1))


def _password(email: str) -> str:
    from incubator.demo import DEMO_LOGINS

    return next(password for _, login, password in DEMO_LOGINS if login == email)


def take(output: Path = OUTPUT) -> list[Path]:
    """Write every screenshot; return their paths."""
    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        app = _demo_app(Path(folder))
        project = _showcase_project(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        app.config["BASE_URL"] = base
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                contexts = {}
                for name, who, path in PAGES:
                    if who not in contexts:
                        context = browser.new_context(locale="fr-FR",
                                                      timezone_id="Europe/Paris")
                        if who:
                            page = context.new_page()
                            page.goto(base + "/auth/login")
                            page.locator("#email").fill(who)
                            page.locator("#password").fill(_password(who))
                            page.locator("form button[type=submit]").last.click()
                            expect(page).not_to_have_url(f"{base}/auth/login")
                            page.close()
                        contexts[who] = context
                    page = contexts[who].new_page()
                    for width, height in WIDTHS.items():
                        page.set_viewport_size({"width": width, "height": height})
                        page.goto(base + path.format(project=project))
                        page.wait_for_load_state("load")
                        page.wait_for_function(
                            "() => !document.querySelector('.htmx-request, .htmx-settling')")
                        full = page.evaluate("() => document.documentElement.scrollHeight")
                        target = output / f"{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True, clip={
                            "x": 0, "y": 0, "width": width, "height": min(full, MAX_HEIGHT)})
                        written.append(target)
                    page.close()
                browser.close()
        finally:
            server.shutdown()
            with app.app_context():
                from incubator.extensions import db

                db.session.remove()
                db.engine.dispose()
    return written


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    for path in take(folder):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
              f"  {path.stat().st_size // 1024} KB")
