"""Erasing a holder in Chromium: from the users page, the preview (documents to decide on),
the name typed to confirm, the erasure's page; no axe-core violation on the way."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from incubator.documents.services import Upload, add_document
from incubator.extensions import db

from .. import factories
from .conftest import axe_violations, log_in

NAME = "Aurélie Kerjean"


def test_a_manager_erases_a_holder_after_the_preview(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        holder = factories.user(name=NAME, email="aurelie@exemple.fr")
        project = factories.project(holders=[holder], title="Épicerie vrac")
        add_document(project, holder, Upload("budget.pdf", "application/pdf", b"%PDF-1.4 b"),
                     "shared")
        db.session.commit()

    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/users")
    page.get_by_role("button", name=f"Effacer {NAME} (droit à l’effacement)").click()

    expect(page.get_by_role("heading", name=f"Effacer {NAME}")).to_be_visible()
    expect(page.locator("#erasure-kept")).to_contain_text("1 projet porté")
    expect(page.locator("#erasure-documents")).to_contain_text("budget.pdf")
    assert axe_violations(page) == []

    page.get_by_label("budget.pdf").check()
    page.get_by_label("Saisissez le nom de la personne pour confirmer").fill("aurelie kerjean")
    page.get_by_role("button", name=f"Effacer définitivement {NAME}").click()

    expect(page.get_by_role("heading", name="Personne supprimée n°\u00a01")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("La personne est effacée")
    assert axe_violations(page) == []
    page.goto(live_server + "/admin/users")
    expect(page.locator("body")).not_to_contain_text(NAME)
    expect(page.locator("body")).to_contain_text("Personne supprimée n°\u00a01")
