"""Two-factor authentication in Chromium: enrol with the code computed from the secret the
page shows, log out, log in again with a code; the pages pass axe."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in


def test_enrol_log_out_and_log_in_with_a_code(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")

    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="Double authentification").click()
    expect(page).to_have_url(re.compile(r"/account/two-factor$"))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Configurer la double authentification").click()

    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert axe_violations(page) == []
    totp = pyotp.TOTP(secret)
    page.get_by_role("textbox", name=re.compile("^Code")).fill(totp.now())
    page.get_by_label("Votre mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Activer la double authentification").click()

    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    expect(page.get_by_text("La double authentification est activée.")).to_be_visible()
    assert axe_violations(page) == []

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()

    page.goto(live_server + "/auth/login")
    page.get_by_label("Adresse e-mail").fill("yann@cades.example")
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/auth/two-factor$"))
    assert axe_violations(page) == []
    # The enrolment spent the current step's code: the next step's is accepted (one step
    # either side), and is later than the one used.
    page.get_by_role("textbox", name=re.compile("^Code")).fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Vérifier le code").click()
    expect(page).to_have_url(re.compile(r"/board$"))


def test_a_wrong_code_is_announced_next_to_the_field(page: Page, live_server, live_app):
    with live_app.app_context():
        user = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        db.session.commit()
        from incubator.auth import two_factor

        two_factor.start_enrolment(user)
        factor = two_factor.factor_of(user)
        factor.confirmed_at = factor.created_at
        db.session.commit()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Adresse e-mail").fill("yann@cades.example")
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/auth/two-factor$"))
    page.get_by_role("textbox", name=re.compile("^Code")).fill("000000")
    page.get_by_role("button", name="Vérifier le code").click()
    expect(page.get_by_text("Ce code n’est pas valide").first).to_be_visible()
    assert axe_violations(page) == []
