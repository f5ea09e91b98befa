"""The account pages in Chromium: the user menu, ending another session in place (htmx),
accessibility (axe-core), and logging out from the menu."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in, press_enter_on


def test_a_holder_ends_a_session_left_open_on_another_device(page: Page, browser, live_server,
                                                             live_app):
    with live_app.app_context():
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()

    other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        phone = other.new_page()
        log_in(phone, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")
        log_in(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")

        page.locator(".user-menu summary").click()
        page.get_by_role("link", name="Vos sessions").click()
        expect(page).to_have_url(re.compile(r"/account/sessions$"))
        page.wait_for_load_state("load")
        rows = page.locator("#sessions tbody tr")
        expect(rows).to_have_count(2, timeout=10_000)
        expect(page.get_by_text("cet appareil")).to_be_visible()
        assert axe_violations(page) == []

        page.get_by_role("button", name=re.compile("Terminer cette session")).click()
        expect(rows).to_have_count(1)  # replaced in place, no reload
        expect(page.locator("#messages")).to_contain_text("La session est terminée")
        expect(page).to_have_url(re.compile(r"/account/sessions$"))

        phone.reload()
        expect(phone).to_have_url(re.compile(r"/auth/login"))
    finally:
        other.close()

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()


def test_after_ending_a_session_with_the_keyboard_the_focus_is_on_the_list_and_its_message(
        page: Page, browser, live_server, live_app):
    with live_app.app_context():
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()
    others = [browser.new_context(locale="fr-FR") for _ in range(2)]
    try:
        for context in others:
            log_in(context.new_page(), live_server, "anne@exemple.fr",
                   lands_on=r"/projects/mine$")
        log_in(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")
        page.goto(live_server + "/account/sessions")
        rows = page.locator("#sessions tbody tr")
        expect(rows).to_have_count(3)

        press_enter_on(page, page.get_by_role("button",
                                                name=re.compile("Terminer cette session")).first)
        expect(rows).to_have_count(2, timeout=10_000)
        expect(page.locator("#messages")).to_contain_text("La session est terminée")
        # The button pressed is gone: the focus is on the list, the message at its top.
        expect(page.locator("#sessions")).to_be_focused()  # once htmx has settled
        expect(page.locator("#sessions #near-status")).to_contain_text("La session est terminée")

        press_enter_on(page, page.get_by_role("button",
                                                name="Terminer toutes les autres sessions"))
        expect(rows).to_have_count(1, timeout=10_000)
        expect(page.locator("#messages")).to_contain_text("autre session terminée")
        expect(page.locator("#sessions")).to_be_focused()
        expect(page.locator("#sessions #near-status")).to_contain_text("autre session terminée")
        assert axe_violations(page) == []
    finally:
        for context in others:
            context.close()
