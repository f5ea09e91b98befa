"""Accompaniment time in Chromium: an advisor logs time on the project page with the
keyboard only, the section's total changes in place (htmx) and takes the focus, the history
tells it, and the page with the section passes axe."""

from __future__ import annotations

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.models import AccompanimentTime

from .. import factories
from .conftest import axe_violations, log_in


def test_log_time_with_the_keyboard_and_see_the_total_change(page, live_server, live_app):
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        project = factories.project(title="Boulangerie paysanne", commune="Peillac",
                                    advisor=advisor)
        db.session.commit()
        project_id = project.id
    log_in(page, live_server, "yann@cades.example")
    page.goto(f"{live_server}/projects/{project_id}")
    section = page.locator(f"#accompaniment-project-{project_id}")
    total = page.locator(f"#accompaniment-total-project-{project_id}")
    expect(total).to_contain_text("Aucun temps saisi")
    assert axe_violations(page) == []
    # Open the form from its summary with the keyboard, type a duration, choose the kind
    # with the arrows, send with Enter.
    section.locator("summary", has_text="Saisir du temps").focus()
    page.keyboard.press("Enter")
    duration = section.get_by_label("Durée")
    duration.focus()
    page.keyboard.type("1 h 30")
    page.keyboard.press("Tab")
    expect(section.get_by_label("Type de contact")).to_be_focused()
    section.get_by_label("Type de contact").select_option("phone")
    duration.focus()
    page.keyboard.press("Enter")
    expect(total).to_contain_text("En tout\u202f: 1\u00a0h\u00a030")
    expect(total).to_be_focused()
    expect(section.locator(".accompaniment-totals")).to_contain_text("Téléphone")
    expect(page.locator(f"#timeline-project-{project_id}")).to_contain_text(
        "Temps d’accompagnement saisi")
    # A second entry: the total adds up; a wrong duration is refused in place first.
    section.locator("summary", has_text="Saisir du temps").focus()
    page.keyboard.press("Enter")
    section.get_by_label("Durée").focus()
    page.keyboard.type("1,30")
    page.keyboard.press("Enter")
    expect(section.locator(".field-error")).to_contain_text("peut vouloir dire")
    # The refused form's swap settles (its error summary takes the focus) before we type.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    section.get_by_label("Durée").fill("")
    section.get_by_label("Durée").focus()
    page.keyboard.type("45 min")
    expect(section.get_by_label("Durée")).to_have_value("45 min")
    expect(section.get_by_label("Durée")).to_be_focused()
    page.keyboard.press("Enter")
    expect(total).to_contain_text("2\u00a0h\u00a015")
    assert axe_violations(page) == []
    with live_app.app_context():
        assert sorted(e.minutes for e in db.session.query(AccompanimentTime)) == [45, 90]
