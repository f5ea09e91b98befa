"""The demo command fills an empty database once, with a believable history."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import String, Text, func, select

from incubator import stage_flow
from incubator.demo import DEMO_LOGINS, load_demo
from incubator.extensions import db
from incubator.models import (
    NextStep,
    NextStepChange,
    Note,
    Notification,
    OutgoingMail,
    Project,
    StageFlowDay,
    StageMove,
    StatusChange,
    User,
)
from incubator.passwords import is_common

from .helpers import left_at_mismatches


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_fills_the_database_once_and_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for _role, email, password in DEMO_LOGINS:
        assert email in first.output and password in first.output
    assert f"and open {app.config['BASE_URL']}" in first.output
    counts = (_count(User), _count(Project), _count(StageMove))
    assert counts[1] >= 30
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"manager", "advisor", "holder", "mentor"}

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "nothing added" in second.output
    assert (_count(User), _count(Project), _count(StageMove)) == counts


def test_demo_history_is_consistent(app):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    active = db.session.scalars(select(Project).where(Project.status == "active")).all()
    positions = {(p.stage_id, p.position) for p in active}
    assert len(positions) == len(active)  # no two cards share a place
    for project in active:
        last = db.session.scalar(
            select(StageMove).where(StageMove.project_id == project.id)
            .order_by(StageMove.moved_at.desc(), StageMove.id.desc()).limit(1)
        )
        assert last.to_stage_id == project.stage_id
        assert last.moved_at <= project.last_activity_at
    # Each stay's end (left_at) is the next move, as the review reads it.
    assert db.session.scalar(select(func.count()).select_from(StageMove)) > 20
    assert left_at_mismatches() == []
    # The cumulative flow's daily summary the services kept is what a rebuild computes.
    kept = {(r.day, r.stage_id): r.change for r in db.session.scalars(select(StageFlowDay))
            if r.change}
    assert kept and stage_flow.rebuild() == len(kept)
    assert {(r.day, r.stage_id): r.change
            for r in db.session.scalars(select(StageFlowDay))} == kept


def test_demo_logins_work_and_use_good_passwords(app, auth):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    for _role, email, password in DEMO_LOGINS:
        assert len(password) >= 12 and not is_common(password)
        assert auth.login(email, password).status_code == 303
        auth.logout()


def test_demo_projects_have_the_history_their_services_write(app):
    """The demo goes through the services: every submitted project has its entry move,
    every closed or paused one its StatusChange, and no notification or e-mail is left for
    a past that never happened."""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    projects = db.session.scalars(select(Project)).all()
    statuses = {p.status for p in projects}
    assert {"draft", "active", "paused", "closed"} <= statuses
    for project in projects:
        moves = db.session.scalars(
            select(StageMove).where(StageMove.project_id == project.id)
            .order_by(StageMove.moved_at, StageMove.id)).all()
        changes = db.session.scalars(
            select(StatusChange).where(StatusChange.project_id == project.id)).all()
        if project.status == "draft":
            assert moves == [] and changes == [] and project.submitted_at is None
            continue
        assert moves[0].from_stage_id is None and moves[0].moved_at == project.submitted_at
        assert moves[-1].to_stage_id == project.stage_id
        assert moves[-1].moved_at == project.stage_entered_at
        if project.status in ("closed", "paused"):
            assert [c.to_status for c in changes] == [project.status]
            assert changes[0].changed_at == project.last_activity_at
            assert changes[0].changed_by_id is not None
        else:
            assert changes == []
        if project.status == "closed":
            assert changes[0].outcome == project.outcome and project.closed_at is not None
    assert _count(Notification) == 0 and _count(OutgoingMail) == 0
    assert _count(Note) > 0  # the last activity of a followed project is a note
    done = db.session.scalars(select(NextStep).where(NextStep.done_at.is_not(None))).all()
    assert done and _count(NextStepChange) == len(done)  # each tick is in the history
    assert _count(NextStep) > len(done)  # and open steps wait for the next meeting


def test_the_demo_mentor_sees_only_the_project_she_mentors(app, client, auth):
    from incubator.demo import DEMO_MENTOR_EMAIL, DEMO_MENTORED_PROJECT

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    password = next(p for _, email, p in DEMO_LOGINS if email == DEMO_MENTOR_EMAIL)
    response = auth.login(DEMO_MENTOR_EMAIL, password)
    assert response.status_code == 303 and response.headers["Location"] == "/my-mentorships"
    page = client.get("/my-mentorships").get_data(as_text=True)
    assert page.count('class="project-summary"') == 1
    assert escape(DEMO_MENTORED_PROJECT) in page
    project = db.session.scalar(select(Project).where(Project.title == DEMO_MENTORED_PROJECT))
    assert client.get(f"/projects/{project.id}").status_code == 200
    other = db.session.scalar(select(Project).where(Project.id != project.id).limit(1))
    assert client.get(f"/projects/{other.id}").status_code == 404


def test_demo_texts_follow_french_typography(app):
    """What a new user reads first: the demo's notes, comments and reasons put a narrow
    no-break space before : ; ! ? » and after «, as the interface does."""
    load_demo()
    db.session.commit()
    wrong = re.compile(r"(?<=\S) [:;!?»]|« ")
    offenders = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (String, Text)) or column.name.endswith(
                    ("_key", "_en", "search_text", "email", "hash")):
                continue
            for (value,) in db.session.execute(select(column).where(column.is_not(None))):
                if isinstance(value, str) and wrong.search(value):
                    offenders.append(f"{table.name}.{column.name}: {value[:60]}")
    assert offenders == []
