"""The account pages in Chromium: the user menu, ending another session in place (htmx),
accessibility (axe-core), and logging out from the menu."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from incubator.extensions import db
from incubator.models import ClosureRequest

from .. import factories
from .conftest import axe_violations, log_in, log_in_through_form, press_enter_on


def test_a_holder_ends_a_session_left_open_on_another_device(page: Page, browser, live_server,
                                                             live_app):
    with live_app.app_context():
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()

    other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        phone = other.new_page()
        log_in(phone, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")
        # Through the form in this one: the session it opens is the one the list calls
        # "this device".
        log_in_through_form(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")

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


def test_a_holder_uses_every_section_of_the_account_page_on_a_phone(page: Page, live_server,
                                                                    live_app):
    with live_app.app_context():
        factories.user("manager", email="claire@exemple.fr", name="Claire Rouxel")
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")
    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="Mon compte").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    page.wait_for_load_state("load")
    assert axe_violations(page) == []

    # The name, saved in place: the header's menu follows.
    page.get_by_label("Votre nom").fill("Anne Le Briand")
    page.get_by_role("button", name="Enregistrer mon nom").click()
    expect(page.locator("#messages")).to_contain_text("Votre nom est enregistré")
    expect(page.locator("#user-name")).to_have_text("Anne Le Briand")
    expect(page).to_have_url(re.compile(r"/account$"))  # no reload

    # A new address: a link goes to it; the change waits and can be cancelled.
    page.get_by_text("Changer mon adresse e-mail").click()
    page.get_by_label("Nouvelle adresse e-mail").fill("anne@nouveau.fr")
    page.get_by_label("Votre mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page.locator("#email-change-pending")).to_contain_text("anne@nouveau.fr")
    page.get_by_role("button", name="Annuler le changement").click()
    expect(page.locator("#messages")).to_contain_text("Le changement d’adresse est annulé")
    expect(page.locator("#email-change-pending")).to_have_count(0)

    # E-mail notifications off.
    page.get_by_label("M’envoyer mes notifications par e-mail").uncheck()
    page.locator("#account-notifications").get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#messages")).to_contain_text("Vous ne recevrez plus")

    # Close my account: a request to the managers, which can be cancelled.
    page.get_by_text("Demander la fermeture de mon compte").click()
    page.get_by_label("Motif (facultatif)").fill("Je déménage.")
    page.get_by_label(re.compile("Je comprends")).check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("button", name="Annuler ma demande")).to_be_visible()
    expect(page.locator("#account-closure")).to_contain_text("Je déménage.")
    assert axe_violations(page) == []

    # The language, applied at once.
    page.get_by_label("English").check()
    page.get_by_role("button", name="Enregistrer la langue").click()
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("now in English")
    # Nothing wider than the phone's screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375


def test_a_manager_declines_a_closure_request_in_place(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user("manager", email="claire@exemple.fr", name="Claire Rouxel")
        holder = factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.add(ClosureRequest(user_id=holder.id, reason="Plus besoin"))
        db.session.commit()
    log_in(page, live_server, "claire@exemple.fr")
    page.goto(live_server + "/admin/users")
    page.get_by_role("link", name="Demandes de fermeture de compte").click()
    expect(page.locator(".closure-request")).to_contain_text("Plus besoin")
    assert axe_violations(page) == []
    page.get_by_label(re.compile("Refusée")).check()
    page.get_by_role("button", name="Enregistrer la réponse").click()
    expect(page.locator(".error-summary")).to_contain_text("Dites pourquoi")
    page.get_by_label("Message à la personne").fill("Votre projet est encore suivi.")
    page.get_by_role("button", name="Enregistrer la réponse").click()
    expect(page.locator("#messages")).to_contain_text("est refusée")
    expect(page.locator(".closure-request")).to_contain_text("Votre projet est encore suivi.")
    assert axe_violations(page) == []


def test_the_sessions_page_on_a_phone_has_a_focusable_scrolling_table(page: Page, live_server,
                                                                      live_app):
    """At 375 px the sessions table scrolls sideways: its region takes the keyboard focus
    (axe's scrollable-region-focusable)."""
    with live_app.app_context():
        factories.user(email="anne@exemple.fr", name="Anne Briand")
        db.session.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "anne@exemple.fr", lands_on=r"/projects/mine$")

    page.goto(live_server + "/account/sessions")

    region = page.get_by_role("region", name="Vos sessions ouvertes")
    expect(region).to_be_visible()
    assert axe_violations(page) == []
    for _press in range(60):  # the header's links first, then the page's
        page.keyboard.press("Tab")
        if region.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the sessions table never takes the keyboard focus")
