"""Working groups in Chromium: staff create a group, add an organisation, plan a meeting
typed in the pole's time zone and see it as the group's next meeting; the pages pass axe,
also at phone width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import GroupMeeting, GroupOrganisation, WorkingGroup

from .. import factories
from .conftest import axe_violations, log_in


def test_create_a_group_and_plan_its_next_meeting(page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        create_organisation(None, name="SCOP Bâti Sain", family="cooperative",
                            commune="Malansac", is_member=True,
                            contacts=({"name": "Hervé Guillotin"},))
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    page.get_by_role("link", name="Groupes", exact=True).click()
    expect(page.get_by_role("heading", name="Groupes de travail")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ajouter un groupe").click()
    page.get_by_label("Nom").fill("Éco-construction")
    page.get_by_label("Type").select_option("workshop")
    page.get_by_label("Filière").fill("Éco-construction")
    page.get_by_label("Description").fill("Chantiers participatifs\nFilière bois local")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ajouter le groupe").click()
    expect(page.get_by_role("heading", name="Éco-construction", level=1)).to_be_visible()
    expect(page.locator("#group-next")).to_contain_text("Aucune réunion prévue.")

    # An organisation of the directory joins, found as one types.
    page.get_by_role("button", name="Ajouter des structures ou des projets").click()
    page.get_by_label("Chercher une structure de l’annuaire ou un projet en cours").fill("bati")
    page.get_by_role("button", name="Ajouter SCOP Bâti Sain").click()
    expect(page.locator("#group-participants")).to_contain_text("SCOP Bâti Sain")

    # A meeting next winter at 18:30, Paris time.
    year = datetime.now(UTC).year + 1
    page.get_by_role("button", name="Prévoir une réunion").click()
    page.get_by_label("Jour (obligatoire)").fill(f"{year}-01-15")
    page.get_by_label("Début (obligatoire)").fill("18:30")
    page.get_by_label("Fin", exact=True).fill("20:00")
    page.get_by_label("Lieu").fill("Maison de l’ESS, Redon")
    page.get_by_label("Ordre du jour").fill("Tour de table\nCommande de paille")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ajouter la réunion").click()
    next_meeting = page.locator("#group-next")
    expect(next_meeting).to_contain_text("15 janvier")
    expect(next_meeting).to_contain_text("18:30")
    expect(next_meeting).to_contain_text("Maison de l’ESS, Redon")
    expect(page.get_by_role("button", name="Agenda (.ics)")).to_be_visible()
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # The list shows it as the group's next meeting.
    page.goto(f"{live_server}/groups")
    expect(page.locator("#group-results")).to_contain_text("Prochaine réunion")
    expect(page.locator("#group-results")).to_contain_text("Maison de l’ESS, Redon")
    with live_app.app_context():
        group = db.session.query(WorkingGroup).one()
        assert group.kind == "workshop"
        assert db.session.query(GroupOrganisation).count() == 1
        meeting = db.session.query(GroupMeeting).one()
        starts = meeting.starts_at.astimezone(UTC)
        assert starts == datetime(year, 1, 15, 17, 30, tzinfo=UTC)
        assert meeting.ends_at.astimezone(UTC) - starts == timedelta(minutes=90)


def test_a_search_typed_before_the_scripts_ran_is_still_searched(page, live_server, live_app):
    """On a slow network someone types into a live search before htmx has processed the
    page: once it has, what was typed is searched for (static/js/app.js)."""
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        create_organisation(None, name="SCOP Bâti Sain", family="cooperative",
                            commune="Malansac", is_member=True)
        group = WorkingGroup(name="Éco-construction", kind="workshop")
        db.session.add(group)
        db.session.commit()
        group_id = group.id
    log_in(page, live_server, "yann@cades.example")
    held = []  # htmx is held back until the search has been typed (static URLs carry ?v=)
    page.route("**/vendor/htmx-*.js?v=*", lambda route: held.append(route))
    page.goto(f"{live_server}/groups/{group_id}/participants", wait_until="commit")
    page.get_by_label("Chercher une structure de l’annuaire ou un projet en cours").fill("bati")
    expect(page.locator("#group-candidates")).not_to_contain_text("SCOP Bâti Sain")
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("button", name="Ajouter SCOP Bâti Sain")).to_be_visible()
