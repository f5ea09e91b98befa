"""A notification arrives in Chromium: an advisor moves a project on the board, and its
holder, with the project page open in another browser, sees the bell count it and reads it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from incubator.extensions import db

from .. import factories
from .conftest import axe_violations
from .test_board import log_in as log_in_on_the_board


def _log_in_as_holder(page: Page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/projects/mine$"))


def test_the_holder_sees_a_stage_change_arrive_on_the_bell(page: Page, browser, live_server,
                                                             live_app):
    live_app.config["NOTIFICATION_POLL_SECONDS"] = 1  # instead of 30: a quick test
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        holder = factories.user(email="anne@exemple.fr", name="Anne Briand")
        project = factories.project(title="Garage solidaire", holders=[holder], advisor=advisor)
        db.session.commit()
        project_id, next_stage = project.id, factories.stage(2)
        next_stage_id, next_stage_name = next_stage.id, next_stage.name

    _log_in_as_holder(page, live_server, "anne@exemple.fr")
    page.goto(f"{live_server}/projects/{project_id}")
    bell = page.locator("#notification-bell-link")
    expect(bell).to_have_attribute("data-unread", "0")
    expect(page.locator("#notification-bell .notification-count")).to_have_count(0)

    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        board = context.new_page()
        log_in_on_the_board(board, live_server, "yann@cades.example")
        board.locator(f"#project-{project_id} .card-move").click()
        board.locator(f"#move-project-{project_id}-stage").select_option(str(next_stage_id))
        board.get_by_role("button", name="Déplacer", exact=True).click()
        expect(board.locator(f"#cards-stage-{next_stage_id} #project-{project_id}")).to_be_visible()
    finally:
        context.close()

    # The holder did nothing: the bell's poll brings the count.
    expect(bell).to_have_attribute("data-unread", "1", timeout=35_000)
    expect(page.locator("#notification-bell .notification-count")).to_have_text("1")

    page.locator("#notification-bell-link").click()
    menu = page.locator("#notification-menu")
    expect(menu).to_be_visible()
    entry = menu.locator("li.notification.unread")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Garage solidaire")
    expect(entry).to_contain_text(next_stage_name)
    expect(entry).to_contain_text("Yann Le Goff")
    expect(entry.get_by_role("link")).to_have_attribute("href", f"/projects/{project_id}")
    # Opening the menu marks nothing read (a GET never writes): the bell knows the menu is
    # open; "mark all as read" empties it.
    expect(page.locator("#notification-bell-link")).to_have_attribute("data-unread", "1")
    expect(page.locator("#notification-bell-link")).to_have_attribute("aria-expanded", "true")
    assert axe_violations(page) == []
    menu.get_by_role("button", name="Tout marquer comme lu").click()
    expect(menu.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator("#notification-bell-link")).to_have_attribute("data-unread", "0")

    # The bell closes what it opened; the page stays where it was.
    page.locator("#notification-bell-link").click()
    expect(menu).to_be_hidden()
    expect(page.locator("#notification-bell-link")).to_have_attribute("aria-expanded", "false")
    expect(page).to_have_url(f"{live_server}/projects/{project_id}")
