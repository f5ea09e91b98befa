"""Idea submission, "my projects", the project page and holder isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from incubator.board.services import move_project
from incubator.extensions import db
from incubator.models import Project, ProjectHolder, StageMove
from incubator.positions import GAP

from . import factories


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_idea_form_shows_every_field(client, login):
    login("holder")
    html = client.get("/projects/new").get_data(as_text=True)
    for name in ("title", "pitch", "need", "target_public", "planned_activity", "theme_id",
                 "commune", "kind", "legal_form_id", "jobs_envisaged", "funding_need"):
        assert f'name="{name}"' in html, name
    # Reference data in the interface's language (English here), editable French data.
    assert "Eco-construction" in html and "SCIC (multi-stakeholder cooperative)" in html
    assert '<datalist id="commune-suggestions">' in html and "Guémené-Penfao" in html


def test_a_draft_needs_only_a_title(client, login):
    holder = login("holder")
    response = client.post("/projects/new", data={"title": "Un café associatif",
                                                  "save_draft": "y"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    assert project.status == "draft" and project.stage_id is None
    assert [link.user_id for link in db.session.scalars(select(ProjectHolder))] == [holder.id]
    assert _count(StageMove) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Un café associatif" in page and "Complete and submit" in page


def test_even_a_draft_needs_a_title(client, login):
    login("holder")
    response = client.post("/projects/new", data={"title": " ", "save_draft": "y"})
    assert response.status_code == 422
    assert _count(Project) == 0


def test_submitting_an_incomplete_idea_shows_errors_next_to_the_fields(client, login):
    login("holder")
    data = factories.complete_idea(need="", commune="", submit_idea="y")
    del data["kind"]
    response = client.post("/projects/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="need-error"' in html and 'id="commune-error"' in html and 'id="kind-error"' in html
    assert 'aria-describedby="need-help need-error"' in html
    assert "Une épicerie à prix solidaires" in html  # input kept
    assert 'value="25 000"' in html
    assert 'id="title-error"' not in html
    assert _count(Project) == 0


def test_submitting_a_complete_idea_enters_the_first_stage(client, login):
    holder = login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(submit_idea="y"))
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    assert project.status == "active"
    assert project.stage_id == factories.stage(1).id
    assert project.position == GAP
    assert project.submitted_at is not None and project.stage_entered_at is not None
    assert project.jobs_envisaged == Decimal("1.5")
    assert project.funding_need_cents == 2_500_000
    move = db.session.scalar(select(StageMove))
    assert move.project_id == project.id and move.from_stage_id is None
    assert move.to_stage_id == factories.stage(1).id and move.moved_by_id == holder.id


def test_a_second_submission_goes_to_the_end_of_the_column(client, login):
    login("holder")
    factories.project(stage_position=1)
    db.session.commit()
    client.post("/projects/new", data=factories.complete_idea(submit_idea="y"))
    newest = db.session.scalar(select(Project).order_by(Project.id.desc()))
    assert newest.position == 2 * GAP


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("12 500,50", 1_250_050), ("3\u202f000 €", 300_000), ("0", 0), ("1500.5", 150_050),
     ("12,500.50", 1_250_050), ("12 500", 1_250_000), ("1.250.000", 125_000_000),
     ("0,12", 12), ("99,5", 9_950)],
)
def test_amounts_are_read_the_french_way(client, login, typed, cents):
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(
        funding_need=typed, submit_idea="y"))
    assert response.status_code == 303
    assert db.session.scalar(select(Project.funding_need_cents)) == cents


@pytest.mark.parametrize(("field", "typed"), [
    ("jobs_envisaged", "beaucoup"), ("jobs_envisaged", "-5"), ("jobs_envisaged", "1e400"),
    ("theme_id", "99999"),
])
def test_bad_numbers_and_unknown_themes_are_refused_with_a_message(client, login, field, typed):
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(
        **{field: typed}, submit_idea="y"))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(Project) == 0


def test_a_draft_is_completed_then_submitted(client, login):
    holder = login("holder")
    draft = factories.project(holders=[holder], status="draft", title="Brouillon")
    db.session.commit()
    form = client.get(f"/projects/{draft.id}/edit").get_data(as_text=True)
    assert 'name="submit_idea"' in form and 'value="Brouillon"' in form
    response = client.post(f"/projects/{draft.id}/edit",
                           data=factories.complete_idea(submit_idea="y", version=1))
    assert response.status_code == 303
    project = db.session.get(Project, draft.id)
    assert project.status == "active" and project.stage_id == factories.stage(1).id
    assert _count(StageMove) == 1


def test_my_projects_lists_the_holders_projects_with_their_stage(client, login):
    holder = login("holder")
    factories.project(holders=[holder], title="Recyclerie de Pipriac", stage_position=2)
    factories.project(holders=[holder], title="Mon brouillon", status="draft")
    factories.project(holders=[factories.user()], title="Le projet d'un autre")
    db.session.commit()
    html = client.get("/projects/mine").get_data(as_text=True)
    assert "Recyclerie de Pipriac" in html and "Emergence" in html
    assert "Mon brouillon" in html and "Draft" in html
    assert "Le projet d&#39;un autre" not in html and "Le projet d'un autre" not in html


def test_the_project_page_shows_the_stage_history(client, login):
    holder = login("holder")
    advisor = factories.user(role="advisor", name="Yann Le Goff")
    project = factories.project(holders=[holder], stage_position=1, title="Garage solidaire")
    move_project(project, advisor, stage_id=factories.stage(2).id,
                 seen_version=project.version, comment="Collectif constitué")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Garage solidaire" in html
    assert "Idea submitted" in html
    assert "Moved from “Welcome” to “Emergence”" in html
    assert "Yann Le Goff" in html and "Collectif constitué" in html
    assert 'aria-current="step"' in html


def test_a_holder_gets_404_for_any_project_not_theirs(client, login):
    login("holder")
    other = factories.project(holders=[factories.user()])
    draft = factories.project(holders=[factories.user()], status="draft")
    orphan = factories.project(holders=[])
    db.session.commit()
    for project_id in (other.id, draft.id, orphan.id, 999_999):
        assert client.get(f"/projects/{project_id}").status_code == 404
        assert client.get(f"/projects/{project_id}/edit").status_code == 404
        assert client.post(f"/projects/{project_id}/edit",
                           data=factories.complete_idea(submit_idea="y")).status_code == 404
    assert db.session.get(Project, draft.id).status == "draft"


def test_mentors_see_no_project_yet(client, login):
    login("mentor")
    project = factories.project(holders=[factories.user()])
    db.session.commit()
    assert client.get(f"/projects/{project.id}").status_code == 404
    assert client.get("/projects/new").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    project = factories.project()
    db.session.commit()
    for url in ("/projects/mine", "/projects/new", f"/projects/{project.id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/auth/login?next=" in response.headers["Location"]


def test_staff_see_every_project(client, login):
    login("advisor")
    project = factories.project(holders=[factories.user()], title="Tiers-lieu de Malansac")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Tiers-lieu de Malansac" in html


def test_holders_edit_only_in_the_first_two_stages(client, login):
    holder = login("holder")
    early = factories.project(holders=[holder], stage_position=2)
    late = factories.project(holders=[holder], stage_position=3)
    db.session.commit()
    assert client.get(f"/projects/{early.id}/edit").status_code == 200
    assert client.get(f"/projects/{late.id}/edit").status_code == 403
    response = client.post(f"/projects/{early.id}/edit",
                           data=factories.complete_idea(title="Nouveau nom", save_draft="y",
                                                        version=early.version))
    assert response.status_code == 303
    project = db.session.get(Project, early.id)
    assert project.title == "Nouveau nom" and project.status == "active"
    assert project.stage_id == factories.stage(2).id


def test_submission_without_any_open_stage_keeps_the_draft(client, login):
    holder = login("holder")
    draft = factories.project(holders=[holder], status="draft")
    for stage in factories.stages():
        stage.active = False
    db.session.commit()
    response = client.post(f"/projects/{draft.id}/edit",
                           data=factories.complete_idea(submit_idea="y", version=1))
    assert response.status_code == 409
    assert "no open stage" in response.get_data(as_text=True)
    assert db.session.get(Project, draft.id).status == "draft"
