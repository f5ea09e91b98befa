"""Next steps in Chromium: an advisor adds one on the project page and ticks it done in place."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import NextStep
from incubator.next_steps.queries import today

from .. import factories
from .conftest import AXE, log_in


def test_an_advisor_adds_a_next_step_and_ticks_it_done_in_place(page, live_server, live_app):
    with live_app.app_context():
        advisor = factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        project = factories.project(title="Garage solidaire", advisor=advisor,
                                    holders=[factories.user(name="Anne Briand")])
        db.session.commit()
        project_id, advisor_id = project.id, advisor.id
        due = (today() + timedelta(days=5)).isoformat()
    log_in(page, live_server, "yann@cades.example")
    url = f"{live_server}/projects/{project_id}"
    page.goto(url)
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    section = page.locator(f"#next-steps-project-{project_id}")
    page.locator("#next-step-title").fill("Appeler la mairie de Redon")
    page.locator("#next-step-due").fill(due)
    expect(page.locator("#next-step-assignee")).to_have_value(str(advisor_id))
    section.locator(".next-step-form button[type=submit]").click()

    added = section.locator(f"#next-steps-open-project-{project_id} .next-step")
    expect(added).to_have_count(1)
    expect(added.locator(".step-title")).to_have_text("Appeler la mairie de Redon")
    expect(page.locator("#next-step-title")).to_have_value("")  # a fresh form

    toggle = added.locator(".step-toggle")
    expect(toggle).to_have_attribute("aria-checked", "false")
    toggle.click()
    expect(added).to_have_class(re.compile(r"\bdone\b"))
    expect(added.locator(".step-toggle")).to_have_attribute("aria-checked", "true")
    expect(page).to_have_url(url)
    assert page.evaluate("window.notReloaded") is True

    with live_app.app_context():
        stored = db.session.scalars(select(NextStep)).one()
        assert stored.done_at is not None and stored.done_by_id == advisor_id

    # The section (form, list, checkbox-like controls) passes axe.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        f"async () => await axe.run(document.getElementById('next-steps-project-{project_id}'))"
    )
    serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
