"""The project page in Chromium: advisor in place and description edited in place."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import Project, ProjectEvent, ProjectHolder

from .. import factories
from .conftest import axe_violations, log_in, press_enter_on


def test_advisor_and_description_change_in_place(page: Page, live_server, live_app):
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        sophie = factories.user(role="advisor", name="Sophie Maillard")
        project = factories.project(title="Ferme pédagogique", stage_position=2)
        db.session.commit()
        project_id, sophie_id = project.id, sophie.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    url = page.url
    page.locator(f"#advisor-select-project-{project_id}").select_option(label="Sophie Maillard")
    page.locator(f"#advisor-project-{project_id} button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Chargé·e d’accompagnement enregistré·e.")
    page.locator(f"#description-project-{project_id} .section-head a").click()
    title = page.locator(f"#description-project-{project_id} input[name=title]")
    expect(title).to_be_focused()
    title.fill("Ferme pédagogique de Renac")
    page.locator(f"#description-project-{project_id} input[name=save_draft]").click()
    expect(page.locator(f"#title-project-{project_id}")).to_have_text("Ferme pédagogique de Renac")
    expect(page.locator("#messages")).to_contain_text("Modifications enregistrées")
    assert page.url == url  # no page load
    assert axe_violations(page) == []
    with live_app.app_context():
        saved = db.session.get(Project, project_id)
        assert saved.title == "Ferme pédagogique de Renac"
        assert saved.advisor_id == sophie_id
    page.reload()
    expect(page.locator(f"#advisor-select-project-{project_id}")).to_have_value(str(sophie_id))


def test_arrow_keys_in_the_advisor_picker_post_nothing_until_save(page: Page, live_server,
                                                                   live_app):
    """Going through the options with the keyboard changes nothing: only Save assigns, once.
    A colleague whose invitation is pending is not offered."""
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        for name in ("Anne Briand", "Bruno Caradec", "Claire Dantec"):
            factories.user(role="advisor", name=name)
        factories.user(role="advisor", name="Invitée Enattente", password=None)
        project = factories.project(title="Ferme pédagogique", stage_position=2)
        db.session.commit()
        project_id = project.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    select = page.locator(f"#advisor-select-project-{project_id}")
    expect(select.locator("option", has_text="Invitée Enattente")).to_have_count(0)
    select.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(select).to_have_value(re.compile(r"\d+"))
    chosen = select.input_value()
    assert posts == []
    with live_app.app_context():
        assert db.session.get(Project, project_id).advisor_id is None
        assert _advisor_events(project_id) == 0
    press_enter_on(page, page.locator(f"#advisor-project-{project_id} button[type=submit]"))
    expect(page.locator("#messages")).to_contain_text("Chargé·e d’accompagnement enregistré·e.")
    assert len(posts) == 1
    with live_app.app_context():
        assert db.session.get(Project, project_id).advisor_id == int(chosen)
        assert _advisor_events(project_id) == 1
    assert axe_violations(page) == []


def _advisor_events(project_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ProjectEvent).where(
        ProjectEvent.project_id == project_id, ProjectEvent.kind == "advisor_changed"))


def test_the_users_own_changes_never_conflict_with_each_other(page: Page, live_server, live_app):
    """Each change of the project moves its version on: the page's other forms follow, so
    the advisor, the holders and an open description editor stay usable one after another."""
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        sophie = factories.user(role="advisor", name="Sophie Maillard")
        anne = factories.user(name="Anne Briand")
        loic = factories.user(name="Loïc Guérin")
        project = factories.project(holders=[anne, loic], title="Ferme pédagogique",
                                    stage_position=1)
        db.session.commit()
        project_id, anne_id, sophie_id = project.id, anne.id, sophie.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    description = page.locator(f"#description-project-{project_id}")
    description.locator(".section-head a").click()
    description.locator("input[name=title]").fill("Ferme pédagogique de Renac")
    page.locator(f"#advisor-select-project-{project_id}").select_option(label="Sophie Maillard")
    page.locator(f"#advisor-project-{project_id} button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Chargé·e d’accompagnement enregistré·e.")
    page.get_by_role("button", name="Retirer Anne Briand des porteur·ses").click()
    page.locator(f"#holders-project-{project_id} details[open] [data-confirm-yes]").click()
    expect(page.locator("#messages")).to_contain_text("Anne Briand ne porte plus le projet.")
    description.locator("input[name=save_draft]").click()
    expect(page.locator("#messages")).to_contain_text("Modifications enregistrées")
    expect(page.locator(".conflict-notice")).to_have_count(0)
    with live_app.app_context():
        saved = db.session.get(Project, project_id)
        assert saved.title == "Ferme pédagogique de Renac"
        assert saved.advisor_id == sophie_id
        assert db.session.get(ProjectHolder, (project_id, anne_id)) is None


def test_a_conflict_takes_the_focus_and_keeps_the_text_on_a_phone(page: Page, live_server,
                                                                   live_app):
    """A 409 on a narrow screen: the notice is where the focus goes (so it is in view and
    read first), what the user typed stays in the form, and the view passes axe."""
    page.set_viewport_size({"width": 375, "height": 740})
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        project = factories.project(title="Ferme pédagogique", stage_position=1)
        db.session.commit()
        project_id = project.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    description = page.locator(f"#description-project-{project_id}")
    description.locator(".section-head a").click()
    # Typed once htmx has finished swapping the form in (under load, text typed into the
    # element being swapped is lost with it).
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    need = description.locator("textarea[name=need]")
    need.fill("Le besoin selon Yann")
    expect(need).to_have_value("Le besoin selon Yann")
    with live_app.app_context():  # a colleague saves first
        saved = db.session.get(Project, project_id)
        saved.need, saved.version = "Le besoin selon Sophie", saved.version + 1
        db.session.commit()
    description.locator("input[name=save_draft]").click()
    notice = description.locator(".conflict-notice")
    expect(notice).to_be_focused()
    expect(notice).to_be_in_viewport()
    expect(notice).to_contain_text("Le besoin selon Sophie")
    expect(description.locator("textarea[name=need]")).to_have_value("Le besoin selon Yann")
    assert axe_violations(page) == []
