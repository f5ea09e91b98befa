"""A manager sets the retention periods in Chromium on a phone-sized screen (375 px): the
page fits, axe finds nothing, a period out of bounds comes back in place with its error, and
the saved period is what the privacy notice then says."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in


def test_the_retention_settings_and_the_privacy_notice(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        db.session.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/retention")
    expect(page.get_by_role("heading", name="Conservation des données personnelles")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []

    # Out of bounds: the form comes back in place (htmx, 422), input kept, error said.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Projets clos").fill("50")
    page.get_by_role("button", name="Enregistrer les durées").click()
    expect(page.locator("#closed_projects-error")).to_contain_text("entre 1\u00a0an et 20\u00a0ans")
    assert page.evaluate("window.notReloaded === true")
    expect(page.get_by_label("Projets clos")).to_have_value("50")
    assert axe_violations(page) == []

    page.get_by_label("Projets clos").fill("10")
    page.get_by_role("button", name="Enregistrer les durées").click()
    expect(page.locator("#messages")).to_contain_text("Les durées de conservation sont enregistrées.")
    expect(page.locator("#retention-history")).to_contain_text("Claire Rouxel")

    page.get_by_role("link", name="Voir la politique de confidentialité").click()
    expect(page.locator(".retention-periods")).to_contain_text(
        "10\u00a0ans après la clôture du projet")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
