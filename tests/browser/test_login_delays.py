"""A manager clears a login delay in Chromium: htmx replaces the list in place, the message
is announced, and the page stays accessible; the owner then logs in at once."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from incubator.auth import throttle
from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in, press_enter_on


def test_a_manager_clears_a_login_delay_in_place(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        holder = factories.user(email="anne@exemple.fr", name="Anne Briand")
        for _ in range(6):
            throttle.record_failure(holder.email)
        db.session.commit()
        row_id = f"login-delay-user-{holder.id}"

    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/users")
    section = page.locator("#login-delays")
    expect(section.get_by_role("heading", name="Comptes soumis à un délai de connexion")) \
        .to_be_visible()
    expect(section.locator(f"#{row_id}")).to_contain_text("Anne Briand")
    assert axe_violations(page) == []

    page.evaluate("window.notReloaded = true")
    section.get_by_role("button", name="Lever le délai de connexion d’Anne Briand").click()
    expect(page.locator("#messages")).to_contain_text(
        "Anne Briand peut de nouveau se connecter sans attendre.")
    expect(page.locator(f"#{row_id}")).to_have_count(0)
    assert page.evaluate("window.notReloaded === true")  # replaced in place, no reload
    assert axe_violations(page) == []
    with live_app.app_context():
        assert throttle.seconds_to_wait("anne@exemple.fr") == 0


def test_after_clearing_a_delay_with_the_keyboard_the_focus_is_on_the_heading_and_message(
        page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        for name in ("Anne Briand", "Yann Le Goff"):
            holder = factories.user(name=name)
            for _ in range(6):
                throttle.record_failure(holder.email)
        db.session.commit()

    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/users")
    section = page.locator("#login-delays")
    for name, of_name, left in (("Anne Briand", "d’Anne Briand", 1),
                                ("Yann Le Goff", "de Yann Le Goff", 0)):
        press_enter_on(page, section.get_by_role(
            "button", name=f"Lever le délai de connexion {of_name}"))
        expect(page.locator("#login-delays tbody tr")).to_have_count(left, timeout=10_000)
        expect(page.locator("#messages")).to_contain_text(f"{name} peut de nouveau")
        # The focus is on the section's heading, the message just after it.
        expect(page.locator("#login-delays-title")).to_be_focused()  # once htmx has settled
        expect(page.locator("#login-delays-title + #near-status")).to_contain_text(
            f"{name} peut de nouveau")
    # After the last one, the section says there is nobody left (heading kept).
    expect(page.locator("#login-delays")).to_contain_text(
        "Aucun compte n’est soumis à un délai de connexion.")
    expect(page.locator("#login-delays h2")).to_be_visible()
    assert axe_violations(page) == []
