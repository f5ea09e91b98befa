"""Keyboard focus after htmx changes, and the error summary, in Chromium (issue 9, part B).

After each change made in place, the focus is on the element the answer named (never on
<body>), and the confirmation is shown beside it, in view. A refused form puts the focus on
its error summary, whose links lead into the fields.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Document, NextStep, Note, Project, User

from .. import factories
from .conftest import axe_violations, log_in, press_enter_on

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


def htmx_idle(page: Page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def expect_focus_with_message(page: Page, target_id: str, text: str) -> None:
    """The focus is on #target_id, and the message is shown beside it, in view."""
    target = page.locator(f"#{target_id}")
    expect(target).to_be_focused()
    near = page.locator("#near-status")
    expect(near).to_contain_text(text)
    expect(near).to_be_in_viewport()
    assert page.evaluate("() => document.activeElement !== document.body")
    # Beside it: inside the element, or just after it (or after the control's form).
    assert page.evaluate("""(id) => {
        const target = document.getElementById(id), near = document.getElementById('near-status');
        const form = target.closest('form');
        return target.contains(near) || target.nextElementSibling === near ||
               (form !== null && form.nextElementSibling === near);
    }""", target_id)
    # Read with the focused element by a screen reader.
    assert "near-status" in (target.get_attribute("aria-describedby") or "")


@pytest.fixture
def followed(live_app):
    """An advisor's project, with a holder and a colleague to hand it to."""
    with live_app.app_context():
        yann = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        factories.user(role="advisor", name="Sophie Maillard")
        holder = factories.user(name="Anne Briand")
        project = factories.project(title="Garage solidaire", holders=[holder], advisor=yann,
                                    stage_position=1)
        db.session.commit()
        return project.id


def test_adding_a_note_focuses_it_with_its_confirmation(page: Page, live_server, live_app,
                                                        followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.locator(f"#notes-project-{project_id} details.note-new > summary").click()
    page.locator(f"#new-note-project-{project_id}-body").fill("Visite du garage.")
    page.locator("[data-note-submit]").click()
    expect(page.locator(f"#note-list-project-{project_id} article.note")).to_have_count(1)
    with live_app.app_context():
        note_id = db.session.scalars(select(Note)).one().id
    expect_focus_with_message(page, f"note-{note_id}", "Note ajoutée")
    assert axe_violations(page, ALL_IMPACTS) == []


def test_adding_a_document_focuses_it_with_its_confirmation(page: Page, live_server, live_app,
                                                            followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    form = page.locator(f"#document-form-project-{project_id}")
    form.locator("#document-file").set_input_files(
        {"name": "Statuts.pdf", "mimeType": "application/pdf", "buffer": PDF})
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#document-list-project-{project_id} .document-name")).to_have_text(
        "Statuts.pdf")
    with live_app.app_context():
        document_id = db.session.scalars(select(Document)).one().id
    expect_focus_with_message(page, f"document-{document_id}", "Statuts.pdf")


def test_adding_a_holder_focuses_the_holders_with_the_confirmation(page: Page, live_server,
                                                                   live_app, followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    holders = page.locator(f"#holders-project-{project_id}")
    holders.locator("details:not([data-confirm]) > summary").click()
    page.locator(f"#holder-email-project-{project_id}").fill("paul@example.org")
    page.locator(f"#holder-name-project-{project_id}").fill("Paul Guérin")
    holders.locator("form[data-once] button[type=submit]").click()
    expect(holders.locator(".holder-list")).to_contain_text("Paul Guérin")
    expect_focus_with_message(page, f"holders-project-{project_id}", "Paul Guérin")


def test_saving_the_advisor_focuses_the_advisor_with_the_confirmation(page: Page, live_server,
                                                                      live_app, followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    select = page.locator(f"#advisor-select-project-{project_id}")
    select.select_option(label="Sophie Maillard")
    advisor = page.locator(f"#advisor-project-{project_id}")
    # Part A may ask for a confirmation (the Save button) before saving.
    htmx_idle(page)
    if not page.locator("#near-status").count():
        advisor.locator("button[type=submit]").click()
    expect_focus_with_message(page, f"advisor-project-{project_id}",
                              "Chargé·e d’accompagnement enregistré·e")
    with live_app.app_context():
        advisor_id = db.session.get(Project, project_id).advisor_id
        assert db.session.get(User, advisor_id).name == "Sophie Maillard"


def test_editing_the_description_focuses_its_heading_with_the_confirmation(
        page: Page, live_server, live_app, followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    description = page.locator(f"#description-project-{project_id}")
    description.locator(".section-head a").click()
    title = description.locator("input[name=title]")
    expect(title).to_be_focused()
    title.fill("Garage solidaire de Redon")
    description.locator("input[name=save_draft]").click()
    expect(page.locator(f"#title-project-{project_id}")).to_have_text("Garage solidaire de Redon")
    expect_focus_with_message(page, "description-title", "Modifications enregistrées")
    # Opening the editor again and cancelling brings the focus back to its link.
    description.locator(".section-head a").click()
    expect(description.locator("input[name=title]")).to_be_focused()
    htmx_idle(page)
    description.get_by_role("button", name="Annuler").click()
    expect(page.locator(f"#description-edit-project-{project_id}")).to_be_focused()


def test_ticking_a_next_step_done_keeps_the_focus_on_it(page: Page, live_server, live_app,
                                                       followed):
    project_id = followed
    with live_app.app_context():
        advisor = db.session.scalar(select(User).where(User.email == "yann@cades.example"))
        from incubator.next_steps.queries import today
        from incubator.next_steps.services import add_step
        project = db.session.get(Project, project_id)
        step = add_step(project, advisor, title="Appeler la mairie", due_on=today(),
                        assignee=advisor)
        db.session.commit()
        step_id = step.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    toggle = page.locator(f"#next-step-{step_id}-check")
    press_enter_on(page, toggle)
    expect(page.locator(f"#next-step-{step_id}-check")).to_have_attribute("aria-checked", "true")
    expect_focus_with_message(page, f"next-step-{step_id}-check", "Appeler la mairie")
    with live_app.app_context():
        assert db.session.get(NextStep, step_id).done_at is not None


@pytest.fixture
def board(live_app):
    with live_app.app_context():
        yann = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        ids = {title: factories.project(title=title, stage_position=1, advisor=yann).id
               for title in ("Garage solidaire", "Épicerie vrac")}
        db.session.commit()
        stages = {s.position: s.id for s in factories.stages()}
    return ids, stages


@pytest.mark.parametrize("action", ["close", "pause"])
def test_closing_or_pausing_a_card_focuses_the_card_next_to_it_with_the_confirmation(
        page: Page, live_server, live_app, board, action):
    ids, stages = board
    garage = ids["Garage solidaire"]
    log_in(page, live_server, "yann@cades.example")
    page.locator(f"#project-{garage} .card-move").click()
    expect(page.locator(f"#move-project-{garage}-stage")).to_be_focused()
    htmx_idle(page)
    page.locator(f"#project-{garage} details.status-forms > summary").click()
    if action == "close":
        page.locator(f"#move-project-{garage}-close-reason").fill("Le porteur déménage")
        page.get_by_role("button", name="Clôturer le projet").click()
        text = "est clôturé"
    else:
        page.get_by_role("button", name="Mettre le projet en pause").click()
        text = "en pause"
    expect(page.locator(f"#project-{garage}")).to_have_count(0)
    expect_focus_with_message(page, f"project-{ids['Épicerie vrac']}", text)
    with live_app.app_context():
        assert db.session.get(Project, garage).status == ("closed" if action == "close"
                                                          else "paused")
    assert axe_violations(page, ALL_IMPACTS) == []


def _summary_links(page: Page):
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    return summary, summary.locator("a")


def test_the_idea_form_refused_puts_the_focus_on_its_error_summary(page: Page, live_server,
                                                                   live_app):
    with live_app.app_context():
        factories.user(email="anne@example.org", name="Anne Briand")
        db.session.commit()
    log_in(page, live_server, "anne@example.org", lands_on=r"/projects/mine$")
    page.goto(f"{live_server}/projects/new")
    page.locator("#funding_need").fill("beaucoup")
    page.locator("#jobs_envisaged").fill("-3")
    page.locator("input[name=submit_idea]").click()
    summary, links = _summary_links(page)
    assert links.count() >= 2
    expect(summary.locator("h2")).to_have_text(f"{links.count()} problèmes à corriger")
    for text in links.all_inner_texts():
        assert "\u202f: " in text  # "Libellé : message"
    # Each link leads into its field, with the keyboard.
    first = links.first
    target = first.get_attribute("href")[1:]
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{target}")).to_be_focused()
    assert axe_violations(page, ALL_IMPACTS) == []


def test_a_refused_htmx_form_puts_the_focus_on_its_error_summary(page: Page, live_server,
                                                                 live_app, followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    url = page.url
    section = page.locator(f"#next-steps-project-{project_id}")
    section.locator(".next-step-form button[type=submit]").click()
    summary, links = _summary_links(page)
    expect(links.first).to_have_attribute("href", "#next-step-title")
    assert page.url == url  # in place
    links.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#next-step-title")).to_be_focused()
    assert axe_violations(page, ALL_IMPACTS) == []


def test_the_focus_and_summary_work_in_english_too(page: Page, live_server, live_app,
                                                   followed):
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.locator(".lang-switch button[value=en]").click()
    page.goto(f"{live_server}/projects/{project_id}")
    section = page.locator(f"#next-steps-project-{project_id}")
    section.locator(".next-step-form button[type=submit]").click()
    summary, links = _summary_links(page)
    expect(summary.locator("h2")).to_have_text(re.compile(r"^\d+ problems? to fix$"))
    assert axe_violations(page, ALL_IMPACTS) == []


def test_an_empty_note_shows_the_summary_not_the_browser_bubble(page: Page, live_server,
                                                               live_app, followed):
    """The body is required (its label says so); the form leaves the check to the server
    (novalidate), so the summary in the page's language shows, not the browser's bubble."""
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    page.locator(f"#notes-project-{project_id} details.note-new > summary").click()
    body = page.locator(f"#new-note-project-{project_id}-body")
    expect(page.locator(f"label[for=new-note-project-{project_id}-body]")).to_contain_text(
        "(obligatoire)")
    page.locator("[data-note-submit]").click()
    summary, links = _summary_links(page)
    expect(links).to_have_count(1)
    links.first.focus()
    page.keyboard.press("Enter")
    expect(body).to_be_focused()
    assert axe_violations(page, ALL_IMPACTS) == []


def test_a_refused_advisor_puts_the_focus_on_the_select_the_error_describes(
        page: Page, live_server, live_app, followed):
    """Sophie's account is deactivated after the page was loaded: choosing her is refused
    (422); the focus is on the select (not <body>: the Save button was replaced), and the
    reason is read with it."""
    project_id = followed
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    with live_app.app_context():
        sophie = db.session.scalar(select(User).where(User.name == "Sophie Maillard"))
        sophie.active = False
        db.session.commit()
        sophie_id = sophie.id
    select_ = page.locator(f"#advisor-select-project-{project_id}")
    select_.select_option(str(sophie_id))
    page.locator(f"#advisor-project-{project_id} button[type=submit]").click()
    error = page.locator(f"#advisor-error-project-{project_id}")
    expect(error).to_contain_text("Choisissez")
    select_ = page.locator(f"#advisor-select-project-{project_id}")
    expect(select_).to_be_focused()
    expect(select_).to_have_attribute("aria-invalid", "true")
    expect(select_).to_have_attribute("aria-describedby", f"advisor-error-project-{project_id}")
    assert axe_violations(page, ALL_IMPACTS) == []
