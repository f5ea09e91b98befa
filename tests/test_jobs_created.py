"""The jobs a launched project created (issue 12, part R1): entered the French way when it
is closed as launched, changed later from its edit form (staff, launched projects only),
shown on its page, told on its timeline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Project, ProjectEvent

from . import factories


def _close(client, project, htmx=False, **data):
    return client.post(f"/projects/{project.id}/close", htmx=htmx, data={
        "outcome": "launched", "reason": "Association créée", "version": project.version,
        **data})


def _events():
    return list(db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "jobs_created").order_by(ProjectEvent.id)))


@pytest.mark.parametrize("htmx", [False, True])
def test_closing_as_launched_records_the_jobs_typed_the_french_way(client, login, htmx):
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = _close(client, project, htmx=htmx, jobs_created="2,5")
    assert response.status_code in (200, 303)
    closed = db.session.get(Project, project.id)
    assert (closed.status, closed.outcome, closed.jobs_created) == (
        "closed", "launched", Decimal("2.50"))
    assert [e.detail for e in _events()] == [{"jobs": "2.50", "before": None}]
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "2.5" in page
    history = client.get(f"/projects/{project.id}/history", htmx=True).get_data(as_text=True)
    assert "2.5" in history


def test_the_jobs_are_optional_and_ignored_for_another_outcome(client, login):
    login("advisor")
    launched, abandoned = factories.project(), factories.project()
    db.session.commit()
    assert _close(client, launched).status_code == 303
    assert _close(client, abandoned, outcome="abandoned", jobs_created="3").status_code == 303
    assert db.session.get(Project, launched.id).jobs_created is None
    assert db.session.get(Project, abandoned.id).jobs_created is None
    assert _events() == []


@pytest.mark.parametrize("typed", ["2,500", "deux", "-1", "10000"])
def test_wrong_jobs_are_refused_and_nothing_is_closed(client, login, typed):
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = _close(client, project, htmx=True, jobs_created=typed)
    assert response.status_code == 422
    assert db.session.get(Project, project.id).status == "active"


def test_staff_change_the_jobs_of_a_launched_project_from_its_edit_form(client, login):
    login("advisor")
    project = factories.project()
    db.session.commit()
    _close(client, project, jobs_created="1")
    project = db.session.get(Project, project.id)
    form = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert 'name="jobs_created"' in form and 'value="1"' in form
    data = {"title": project.title, "pitch": project.pitch, "commune": project.commune,
            "kind": project.kind, "jobs_created": "3,75", "version": project.version,
            "save_draft": "1"}
    response = client.post(f"/projects/{project.id}/edit", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert db.session.get(Project, project.id).jobs_created == Decimal("3.75")
    assert [e.detail for e in _events()] == [{"jobs": "1.00", "before": None},
                                            {"jobs": "3.75", "before": "1.00"}]


def test_the_edit_form_has_no_jobs_created_before_the_launch(client, login):
    login("advisor")
    project = factories.project()
    db.session.commit()
    form = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert 'name="jobs_created"' not in form
    response = client.post(f"/projects/{project.id}/edit", data={
        "title": project.title, "jobs_created": "4", "version": project.version,
        "save_draft": "1"})
    assert response.status_code == 303
    assert db.session.get(Project, project.id).jobs_created is None
    assert "Jobs created" not in client.get(f"/projects/{project.id}").get_data(as_text=True)
