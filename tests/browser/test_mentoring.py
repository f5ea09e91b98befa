"""Mentoring in Chromium: staff link a suggested mentor to a project (the suggestion shows
why it is proposed), log hours with a decimal comma, and the pages pass axe."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.mentoring.services import import_communes, read_communes
from incubator.models import MentoringHours, Mentorship

from .. import factories
from .conftest import axe_violations, log_in

COMMUNES = Path(__file__).resolve().parents[2] / "incubator" / "data" / \
    "communes-pays-de-redon.csv"


def test_link_a_suggested_mentor_to_a_project(page, live_server, live_app):
    with live_app.app_context():
        import_communes(read_communes(COMMUNES.read_text(encoding="utf-8").splitlines()))
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        theme = factories.theme("Alimentation et circuits courts")
        project = factories.project(title="Boulangerie paysanne", commune="Peillac",
                                    theme_id=theme.id, advisor=advisor)
        create_organisation(None, name="SCIC Manger Local", family="cooperative",
                            commune="Bains-sur-Oust", commune_insee="35013", is_member=True,
                            skills="Circuits courts", mentoring_capacity=2,
                            contacts=({"name": "Solenn Le Bihan"},))
        create_organisation(None, name="Radio Vilaine FM", family="association",
                            commune="Avessac")
        db.session.commit()
        project_id = project.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.get_by_role("button", name="Lier un parrain").click()
    suggestion = page.locator(".suggestion").first
    expect(suggestion).to_contain_text("SCIC Manger Local")
    expect(suggestion).to_contain_text("compétence\u202f: Circuits courts")
    expect(suggestion).to_contain_text("adhérent")
    assert axe_violations(page) == []
    # The whole directory, searched as one types.
    page.get_by_label("Nom, secteur, commune ou compétence").fill("vilaine")
    expect(page.locator("#mentor-search-results")).to_contain_text("Radio Vilaine FM")
    suggestion.get_by_role("link", name="Choisir SCIC Manger Local").click()
    page.get_by_label("Rôle").select_option("expert")
    page.get_by_label("Personne contact").select_option(label="Solenn Le Bihan")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Lier SCIC Manger Local comme parrain").click()
    section = page.locator(f"#mentoring-project-{project_id}")
    expect(section).to_contain_text("SCIC Manger Local")
    expect(section).to_contain_text("Solenn Le Bihan")
    # Hours with a decimal comma, through htmx: the section and its total update in place.
    section.get_by_role("button", name="Saisir des heures pour SCIC Manger Local").click()
    section.get_by_role("textbox", name="Heures").fill("1,5")
    section.get_by_label("Note").fill("Relecture du budget.")
    section.get_by_role("button", name="Enregistrer ces heures").click()
    expect(section).to_contain_text("Heures données en tout\u202f: 1,5\u00a0h")
    expect(page.locator(f"#timeline-project-{project_id}")).to_contain_text(
        "1,5\u00a0h de parrainage")
    assert axe_violations(page) == []
    with live_app.app_context():
        mentorship = db.session.query(Mentorship).one()
        assert mentorship.role == "expert"
        assert db.session.query(MentoringHours).one().note == "Relecture du budget."
