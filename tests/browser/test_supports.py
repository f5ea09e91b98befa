"""Supports in Chromium: staff add a grant typed the French way, move it to granted at a
lower amount through htmx, and the pages pass axe."""

from __future__ import annotations

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import Partner, Support, SupportStatusChange

from .. import factories
from .conftest import axe_violations, log_in


def test_add_a_support_and_move_it_to_granted(page, live_server, live_app):
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        project = factories.project(title="Boulangerie paysanne", commune="Peillac",
                                    advisor=advisor)
        db.session.add(Partner(name="Région Bretagne", kind="region"))
        db.session.commit()
        project_id = project.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.get_by_role("button", name="Ajouter un soutien").click()
    page.get_by_label("Partenaire").select_option(label="Région Bretagne")
    page.get_by_label("Type de soutien").select_option("grant")
    page.get_by_label("Montant (EUR)").fill("25 000,50 €")
    page.get_by_label("Statut (obligatoire)", exact=True).select_option("requested")
    page.get_by_label("Programme ou appel").fill("Pass Création")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ajouter le soutien").click()
    section = page.locator(f"#supports-project-{project_id}")
    expect(section).to_contain_text("Région Bretagne")
    expect(section).to_contain_text("25\u202f000,50\u00a0€")
    expect(section).to_contain_text("Demandé")
    assert axe_violations(page) == []
    # Granted at a lower amount, through htmx: the section and its totals update in place.
    section.get_by_role("button", name="Changer le statut du soutien de Région Bretagne").click()
    section.get_by_label("Nouveau statut").select_option("granted")
    section.get_by_role("textbox", name="Montant à cette étape (EUR)").fill("18 000")
    section.get_by_role("button", name="Enregistrer ce statut").click()
    expect(section.locator(".support-status")).to_have_text("Accordé")
    expect(section.locator(f"#supports-project-{project_id}-totals")).to_contain_text(
        "18\u202f000\u00a0€")
    expect(page.locator(f"#timeline-project-{project_id}")).to_contain_text(
        "Soutien de Région Bretagne (Subvention)\u202f: Accordé")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with live_app.app_context():
        support = db.session.query(Support).one()
        assert (support.status, support.amount_cents, support.status_on) == (
            "granted", 1_800_000, pole_today())  # the pole's day, not the machine's (UTC)
        assert db.session.query(SupportStatusChange).count() == 2
