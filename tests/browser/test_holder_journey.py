"""A project holder registers, submits an idea and finds it on "my projects", in French."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Project, StageMove

from .conftest import axe_violations


def test_holder_registers_submits_an_idea_and_sees_it(page: Page, live_server, live_app):
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="J’ai une idée de projet").click()

    page.get_by_label("Votre nom").fill("Maëlle Guillou")
    page.get_by_label("Adresse e-mail").fill("maelle@exemple.fr")
    page.locator("#password").fill("trois pommes sur la table")
    page.get_by_label("Confirmation du mot de passe").fill("trois pommes sur la table")
    page.locator("#consent").check()
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page).to_have_url(re.compile(r"/projects/new$"))
    page.get_by_label("Nom du projet").fill("Ressourcerie du pays de Redon")
    page.locator("#pitch").fill("Collecter, réparer et revendre les objets du quotidien.")
    page.locator("#need").fill("Les déchetteries débordent et les familles manquent d'équipement.")
    page.locator("#target_public").fill("Habitants du pays de Redon.")
    page.locator("#planned_activity").fill("Collecte, atelier de réparation, boutique.")
    page.locator("#theme_id").select_option(label="Réemploi et économie circulaire")
    page.locator("#commune").fill("Redon")
    page.locator("#kind-1").check()
    page.locator("#funding_need").fill("40 000")
    page.get_by_role("button", name="Soumettre mon idée au pôle").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ressourcerie du pays de Redon")
    expect(page.locator(".stage-progress [aria-current=step]")).to_contain_text("Accueil")
    expect(page.locator("dd", has_text="40\u202f000\u00a0€")).to_be_visible()

    page.get_by_role("link", name="Mes projets").click()
    card = page.locator("#my-projects li", has_text="Ressourcerie du pays de Redon")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Accueil")

    with live_app.app_context():
        project = db.session.scalar(select(Project))
        assert project.status == "active" and project.funding_need_cents == 4_000_000
        assert db.session.scalar(select(StageMove.to_stage_id)) == project.stage_id


def test_form_errors_are_shown_in_french_and_the_input_is_kept(page: Page, live_server):
    page.goto(live_server + "/auth/register")
    page.get_by_label("Votre nom").fill("Erwan")
    page.get_by_label("Adresse e-mail").fill("erwan@exemple.fr")
    page.locator("#password").fill("azerty123456")
    page.get_by_label("Confirmation du mot de passe").fill("azerty123456")
    page.locator("#consent").check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Votre nom")).to_have_value("Erwan")
    assert axe_violations(page) == []


def test_public_pages_have_no_serious_accessibility_violation(page: Page, live_server):
    for path in ("/", "/auth/login", "/auth/register", "/privacy"):
        page.goto(live_server + path)
        assert axe_violations(page) == [], path
