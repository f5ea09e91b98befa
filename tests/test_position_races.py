"""Two moves taking the same free place of a column at the same moment (issue 15): on
PostgreSQL the second write breaks ``uq_projects_stage_position`` once the first commits.
The place is taken again (``positions.take_position``, in a savepoint), and when concurrent
moves keep taking it the mover gets 409 with the card as it is: never a 500."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from incubator import positions
from incubator.extensions import db
from incubator.models import Project, StageMove

from . import factories
from .conftest import is_postgres

V = factories.SUBMITTED_VERSION


def _steal(monkeypatch, times: int, take) -> list[int]:
    """Make the first ``times`` free places found be taken by ``take(position)`` before the
    move writes them; returns the list of places taken so."""
    original = positions.free_position
    taken: list[int] = []

    def free_position(stage_id, exclude_id=None, **where):
        position = original(stage_id, exclude_id, **where)
        if len(taken) < times:
            taken.append(position)
            take(stage_id, position)
        return position

    monkeypatch.setattr(positions, "free_position", free_position)
    # Before issue 15 the move service imported it by name.
    monkeypatch.setattr("incubator.board.services.free_position", free_position, raising=False)
    return taken


def _in_same_transaction(other_id: int):
    def take(stage_id: int, position: int) -> None:
        db.session.execute(update(Project).where(Project.id == other_id)
                           .values(stage_id=stage_id, position=position)
                           .execution_options(synchronize_session=False))
    return take


def _move(client, project, stage, **data):
    return client.post(f"/projects/{project.id}/move", htmx=True, data={
        "stage_id": stage.id, "version": project.version, f"last-{stage.id}": "all", **data})


def _positions_unique() -> bool:
    rows = db.session.execute(select(Project.stage_id, Project.position)
                              .where(Project.status == "active")).all()
    return len(rows) == len(set(rows)) and all(p is not None for _s, p in rows)


def test_a_place_taken_twice_between_reading_and_writing_is_taken_again(client, login,
                                                                          monkeypatch):
    login("advisor")
    project = factories.project(title="Garage solidaire")
    factories.project(title="Tiers-lieu", stage_position=2)
    other = factories.project(title="Recyclerie", stage_position=3)
    db.session.commit()
    taken = _steal(monkeypatch, 2, _in_same_transaction(other.id))
    response = _move(client, project, factories.stage(2))
    assert response.status_code == 200
    assert len(taken) == 2
    db.session.expire_all()
    moved = db.session.get(Project, project.id)
    assert moved.stage_id == factories.stage(2).id and moved.version == V + 1
    assert db.session.scalar(select(func.count()).select_from(StageMove)
                             .where(StageMove.project_id == project.id)) == 2
    assert _positions_unique()


def test_a_place_always_taken_answers_409_with_the_card_as_it_is(client, login, monkeypatch):
    login("advisor")
    project = factories.project(title="Garage solidaire")
    other = factories.project(title="Recyclerie", stage_position=3)
    db.session.commit()
    _steal(monkeypatch, 1000, _in_same_transaction(other.id))
    response = _move(client, project, factories.stage(2), after_id=0)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f'data-version="{V}"' in html and "Someone changed this project" in html
    db.session.expire_all()
    assert db.session.get(Project, project.id).stage_id == factories.stage(1).id
    assert db.session.scalar(select(func.count()).select_from(StageMove)
                             .where(StageMove.project_id == project.id)) == 1
    assert _positions_unique()
    # Plain form: the move form again, with the refusal, never a 500.
    assert client.post(f"/projects/{project.id}/move", data={
        "stage_id": factories.stage(2).id, "version": V}).status_code == 409


def test_reopening_and_submitting_take_the_end_again_when_it_is_taken(client, login,
                                                                      monkeypatch):
    advisor = login("advisor")
    paused = factories.project(title="En pause", status="paused")
    other = factories.project(title="Recyclerie", stage_position=3)
    draft = factories.project(title="Brouillon", status="draft")
    db.session.commit()
    taken = _steal(monkeypatch, 4, _in_same_transaction(other.id))
    from incubator.board.services import reopen_project
    from incubator.projects.services import submit_project
    reopen_project(paused, advisor, paused.version)
    submit_project(draft, advisor)
    db.session.commit()
    assert len(taken) == 4 and _positions_unique()


@pytest.mark.skipif(not is_postgres(), reason="needs two concurrent transactions (PostgreSQL)")
def test_a_concurrent_transaction_taking_the_place_twice_gets_no_500(app, client, login,
                                                                    monkeypatch):
    """The real race: another connection writes the same place (uncommitted) after the
    move read the column, and commits while the move's write waits on the unique index;
    twice, which the single retry of the route before issue 15 did not survive."""
    login("advisor")
    project = factories.project(title="Garage solidaire")
    others = [factories.project(title=f"Autre {n}", stage_position=3) for n in range(2)]
    factories.project(title="Tiers-lieu", stage_position=2)
    db.session.commit()
    others_ids = [o.id for o in others]
    committers: list[threading.Thread] = []

    def take(stage_id: int, position: int) -> None:
        other_id = others_ids[len(committers)]
        written = threading.Event()

        def rival() -> None:
            with app.app_context(), db.engine.connect() as connection:
                connection.execute(update(Project).where(Project.id == other_id)
                                   .values(stage_id=stage_id, position=position))
                written.set()
                threading.Event().wait(0.3)  # the move's write waits on the index meanwhile
                connection.commit()

        thread = threading.Thread(target=rival)
        committers.append(thread)
        thread.start()
        written.wait(5)

    _steal(monkeypatch, 2, take)
    response = _move(client, project, factories.stage(2))
    for thread in committers:
        thread.join(5)
    assert response.status_code == 200 and len(committers) == 2
    db.session.expire_all()
    assert db.session.get(Project, project.id).stage_id == factories.stage(2).id
    assert _positions_unique()
