"""Committees in Chromium: staff score two projects at a sitting and see them side by side
with their averages (French decimals), then move one to the next stage with one click; the
pages pass axe."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from incubator.committees import services
from incubator.extensions import db
from incubator.models import StageMove

from .. import factories
from .conftest import axe_violations, log_in


def test_score_two_projects_at_a_sitting_and_see_the_comparison(page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        alpha = factories.project(title="Boulangerie paysanne")
        bravo = factories.project(title="Ressourcerie textile")
        sitting = services.create_sitting(None, name="Comité de sélection",
                                          held_on=date(2026, 3, 12), place="Redon")
        services.add_to_agenda(None, sitting, alpha)
        db.session.commit()
        sitting_id, bravo_id = sitting.id, bravo.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/committees")
    page.get_by_role("link", name="Comité de sélection").click()
    # The second project, found by its title.
    page.get_by_role("button", name="Ajouter un projet à l’ordre du jour").click()
    page.get_by_label("Titre du projet").fill("ressourcerie")
    expect(page.locator("#agenda-candidates")).to_contain_text("Ressourcerie textile")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ajouter Ressourcerie textile à l’ordre du jour").click()
    for title, scores, decision in (
            ("Boulangerie paysanne", ("5", "4", "3", "5", "4", "3"), "Avis favorable"),
            ("Ressourcerie textile", ("2", "3", "", "1", "", ""), "Ajourné")):
        page.get_by_role("button", name=f"Examiner {title}").click()
        for label, value in zip(("Dimension collective", "Utilité sociale",
                                 "Innovation sociale", "Ancrage territorial",
                                 "Gouvernance démocratique", "Viabilité économique"),
                                scores, strict=True):
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_label("Décision", exact=True).select_option(label=decision)
        if title == "Boulangerie paysanne":
            assert axe_violations(page) == []
        page.get_by_role("button", name="Enregistrer l’avis").click()
    table = page.locator("#comparison")
    expect(table).to_contain_text("Boulangerie paysanne")
    expect(table).to_contain_text("4,0")  # 24 / 6
    expect(table).to_contain_text("2,0")  # 6 / 3
    expect(table.locator("tfoot")).to_contain_text("3,5")  # (5 + 2) / 2
    expect(table).to_contain_text("Ajourné")
    assert axe_violations(page) == []
    # One click: the favourable project goes to the next stage, the decision as comment.
    page.get_by_role("button", name="Déplacer").first.click()
    expect(table).to_contain_text("Passé à l’étape Émergence")
    with live_app.app_context():
        move = db.session.query(StageMove).order_by(StageMove.id.desc()).first()
        assert move.comment == "Avis favorable"
        assert sitting_id and bravo_id
