"""The team page in Chromium at 375 px: the pending invitations (resend in place, revoke
after confirmation) and the hand-over of a departing advisor's work (preview, confirm),
without sideways scrolling and without any axe-core violation."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.auth.services import create_user, send_invitation
from incubator.extensions import db
from incubator.models import NextStep, Project, ProjectEvent, Role, User

from .. import factories
from .conftest import axe_violations, log_in

WIDTH = 375


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": 740}}


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH


def test_pending_invitations_resend_and_revoke_at_375_px(page: Page, live_server, live_app):
    with live_app.app_context():
        manager = factories.user(role="manager", email="claire@cades.example",
                                 name="Claire Rouxel")
        invited = create_user("anne@cades.example", "Anne Briand", Role.ADVISOR, None,
                              invited_by=manager)
        send_invitation(invited, manager)
        db.session.commit()
        row = f"#invitation-user-{invited.id}"
        invited_id = invited.id

    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/users")
    section = page.locator("#invitations")
    expect(section.get_by_role("heading", name="Invitations en attente")).to_be_visible()
    expect(section.locator(row)).to_contain_text("Anne Briand")
    expect(section.locator(row)).to_contain_text("par Claire Rouxel")
    expect(section.locator(row)).to_contain_text("Valable jusqu’au")
    _no_sideways_scroll(page)
    assert axe_violations(page) == []

    page.evaluate("window.notReloaded = true")
    section.get_by_role("button", name="Envoyer à nouveau l’invitation à Anne Briand").click()
    expect(page.locator("#messages, #near-status").first).to_contain_text(
        "Une nouvelle invitation a été envoyée à anne@cades.example")
    expect(page.locator("#invitations-title")).to_be_focused()
    expect(section.locator(row)).to_contain_text("envoyée à nouveau le")

    section.get_by_role("button", name="Révoquer l’invitation d’Anne Briand").click()
    section.locator(row).get_by_role("button", name="Révoquer", exact=True).click()
    expect(page.locator("#invitations-none")).to_be_visible()
    # The users table below reloads itself: the account says its invitation was withdrawn.
    expect(page.locator(f"#user-{invited_id}")).to_contain_text("Invitation retirée")
    assert page.evaluate("window.notReloaded === true")  # replaced in place, no reload
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    with live_app.app_context():
        assert not db.session.get(User, invited.id).active


def test_a_manager_hands_over_a_departing_advisors_work_at_375_px(page: Page, live_server,
                                                                   live_app):
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        leaving = factories.user(role="advisor", name="Yann Le Goff")
        receiving = factories.user(role="advisor", name="Nolwenn Tanguy")
        first = factories.project(advisor=leaving, title="Épicerie vrac")
        factories.project(advisor=leaving, title="Recyclerie")
        db.session.add(NextStep(project_id=first.id, title="Appeler la mairie",
                                due_on=date(2027, 1, 5), assignee_id=leaving.id))
        db.session.commit()
        leaving_id, receiving_id, first_id = leaving.id, receiving.id, first.id

    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/admin/users")
    page.get_by_role("link", name="Transmettre les projets d’un·e chargé·e d’accompagnement "
                                  "qui part").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Passation")
    page.get_by_label("Chargé·e d’accompagnement qui part").select_option(str(leaving_id))
    page.get_by_label("Chargé·e d’accompagnement qui reprend").select_option(str(receiving_id))
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Voir ce qui sera transmis").click()
    preview = page.locator("#handover-preview")
    expect(preview).to_contain_text("2 projets suivis")
    expect(preview).to_contain_text("1 prochaine étape à faire")
    expect(page.locator("#handover-preview-title")).to_be_focused()
    _no_sideways_scroll(page)
    assert axe_violations(page) == []

    page.get_by_role("button", name="Confirmer la passation à Nolwenn Tanguy").click()
    expect(page.locator("#handover-title + #near-status")).to_contain_text(
        "Passation faite\u202f: Nolwenn Tanguy remplace Yann Le Goff sur 2 projets et "
        "1 prochaine étape à faire.")
    expect(page.locator("#handover-preview")).to_have_count(0)
    assert page.evaluate("window.notReloaded === true")
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    with live_app.app_context():
        assert db.session.get(Project, first_id).advisor_id == receiving_id
        assert db.session.scalars(select(ProjectEvent.kind).where(
            ProjectEvent.project_id == first_id)).all().count("advisor_handed_over") == 1

    # The project's timeline tells the story.
    page.goto(live_server + f"/projects/{first_id}")
    expect(page.locator("body")).to_contain_text(
        "Passation\u202f: Nolwenn Tanguy remplace Yann Le Goff comme chargé·e d’accompagnement "
        "et sur 1 prochaine étape à faire")
