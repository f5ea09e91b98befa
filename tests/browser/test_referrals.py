"""Referrals in Chromium: close a project as redirected from the project page's close form
(naming the body it goes to), see the referral in the project's « Orientations » section and
on its timeline, and the pages pass axe."""

from __future__ import annotations

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.models import Partner, Project, Referral

from .. import factories
from .conftest import axe_violations, log_in


def test_close_a_project_as_redirected_with_its_referral(page, live_server, live_app):
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        project = factories.project(title="Conserverie de légumes locaux", advisor=advisor)
        db.session.add_all([Partner(name="CAE Vilaine Entreprendre", kind="ess_network"),
                            Partner(name="TAg 35", kind="ess_network")])
        db.session.commit()
        project_id = project.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.get_by_role("button", name="Déplacer ou clôturer…").click()
    page.get_by_text("Clôturer ou mettre en pause le projet").click()
    # The "if redirected" fields show once that outcome is chosen.
    expect(page.get_by_label("Orienté vers")).to_be_hidden()
    page.get_by_label("Issue").select_option("redirected")
    expect(page.get_by_label("Orienté vers")).to_be_visible()
    page.get_by_role("textbox", name="Motif (obligatoire)").fill("Tester l’activité en entrepreneuse salariée.")
    # Without a body: refused, nothing written, the form says why.
    page.get_by_role("button", name="Clôturer le projet").click()
    expect(page.locator(".error-summary").first).to_contain_text(
        "Choisissez la structure vers laquelle le projet est orienté")
    assert axe_violations(page) == []
    page.get_by_label("Orienté vers").select_option(label="CAE Vilaine Entreprendre")
    page.get_by_role("button", name="Clôturer le projet").click()
    page.goto(f"{live_server}/projects/{project_id}")
    section = page.locator(f"#referrals-project-{project_id}")
    expect(section).to_contain_text("Orienté vers CAE Vilaine Entreprendre")
    expect(section).to_contain_text("En attente")
    expect(section).to_contain_text("Tester l’activité en entrepreneuse salariée.")
    expect(page.locator(f"#timeline-project-{project_id}")).to_contain_text(
        "Orienté vers CAE Vilaine Entreprendre (En attente)")
    assert axe_violations(page) == []
    # The outcome changes later: the section says so.
    section.get_by_role("button", name="Modifier l’orientation (CAE Vilaine Entreprendre)")\
        .click()
    page.get_by_label("Suite donnée").select_option("taken_up")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.locator(f"#referrals-project-{project_id}")).to_contain_text("Pris en charge")
    with live_app.app_context():
        assert db.session.get(Project, project_id).outcome == "redirected"
        referral = db.session.query(Referral).one()
        assert (referral.direction, referral.outcome) == ("outgoing", "taken_up")
