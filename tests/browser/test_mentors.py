"""A mentor in Chromium, in French: they log in and land on « Mes parrainages », which lists
only the project they mentor; its page shows their part (their mentorship, their step, the
shared notes) and nothing of staff's; they add a note without leaving the page; another
project is « introuvable ». Every page passes axe."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import Mentorship, NextStep, Note, Notification, OrganisationContact

from .. import factories
from ..test_notes import _note
from .conftest import axe_violations, log_in


def test_a_mentor_logs_in_and_sees_only_their_project(page: Page, live_server, live_app):
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        holder = factories.user(name="Anne Briand", email="anne@exemple.fr")
        mentor = factories.user(role="mentor", email="g.rouxel@example.org",
                                name="Gaëlle Rouxel")
        theirs = factories.project(title="Épicerie vrac", holders=[holder], advisor=advisor)
        other = factories.project(title="Garage solidaire", advisor=advisor)
        organisation = create_organisation(
            None, name="Coopérative Oust et Vilaine Énergies", family="cooperative",
            contacts=({"name": "Gaëlle Rouxel", "email": "g.rouxel@example.org"},))
        contact = db.session.scalar(select(OrganisationContact))
        contact.user_id = mentor.id
        db.session.add(Mentorship(project_id=theirs.id, organisation_id=organisation.id,
                                  contact_id=contact.id, role="sponsor",
                                  started_on=date.today() - timedelta(days=40)))
        db.session.add(NextStep(project_id=theirs.id, title="Relire le budget prévisionnel",
                                due_on=date.today() + timedelta(days=7),
                                assignee_id=mentor.id))
        db.session.add(NextStep(project_id=theirs.id, title="Trouver un local",
                                due_on=date.today() + timedelta(days=7),
                                assignee_id=holder.id))
        db.session.commit()
        _note(theirs, advisor, body="Compte rendu partagé avec les porteurs.",
              visibility="shared")
        _note(theirs, advisor, body="Remarque interne de l’équipe.")
        theirs_id, other_id = theirs.id, other.id
        mentor_id, advisor_id = mentor.id, advisor.id

    log_in(page, live_server, "g.rouxel@example.org", lands_on=r"/my-mentorships$")
    expect(page.locator("h1")).to_have_text("Mes parrainages")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Mes parrainages")
    items = page.locator("#my-mentorships li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Épicerie vrac")
    expect(items.first).to_contain_text(
        "Parrain / marraine pour Coopérative Oust et Vilaine Énergies depuis le")
    expect(page.locator("main")).not_to_contain_text("Garage solidaire")
    assert axe_violations(page) == []

    items.first.get_by_role("link", name="Épicerie vrac").click()
    expect(page).to_have_url(f"{live_server}/projects/{theirs_id}")
    page.wait_for_load_state("load")
    main = page.locator("main")
    expect(page.locator(f"#my-mentorship-project-{theirs_id}")).to_contain_text(
        "Votre parrainage")
    expect(main).to_contain_text("Compte rendu partagé avec les porteurs.")
    expect(main).not_to_contain_text("Remarque interne de l’équipe.")
    expect(main).to_contain_text("Relire le budget prévisionnel")
    expect(main).not_to_contain_text("Trouver un local")
    expect(main).not_to_contain_text("anne@exemple.fr")
    expect(page.get_by_role("link", name="Déplacer ou clôturer…")).to_have_count(0)
    expect(page.locator("input[name='document-file']")).to_have_count(0)  # no upload
    assert axe_violations(page) == []

    # A note, written in place (htmx), internal to the team and the project's mentors.
    page.locator(f"#notes-project-{theirs_id} details.note-new > summary").click()
    expect(page.locator(f"#new-note-project-{theirs_id}-visibility-field")).to_contain_text(
        "Interne (l’équipe du pôle et les parrains / marraines du projet)")
    page.locator(f"#new-note-project-{theirs_id}-kind").select_option("call")
    page.locator(f"#new-note-project-{theirs_id}-body").fill(
        "Appel avec Anne : le financement participatif démarre en mai.")
    page.evaluate("window.mentorTestMarker = 'same page'")
    page.locator("[data-note-submit]").click()
    note = page.locator(f"#note-list-project-{theirs_id} article.note").first
    expect(note.locator(".note-body")).to_have_text(
        "Appel avec Anne : le financement participatif démarre en mai.")
    expect(note).to_contain_text("Gaëlle Rouxel")
    expect(note.locator(".badge-internal")).to_be_visible()
    assert page.evaluate("window.mentorTestMarker") == "same page"
    assert axe_violations(page) == []
    with live_app.app_context():
        saved = db.session.scalar(select(Note).where(Note.author_id == mentor_id))
        assert (saved.kind, saved.visibility) == ("call", "internal")
        told = db.session.scalar(select(Notification).where(Notification.kind == "mentor_note"))
        assert told.user_id == advisor_id

    # Another project does not exist for them.
    response = page.goto(f"{live_server}/projects/{other_id}")
    assert response.status == 404
    assert axe_violations(page) == []
