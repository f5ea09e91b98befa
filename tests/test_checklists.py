"""Exit checklists (issue 13, docs/checklists.md): the managers' page of a stage's criteria,
the ticks on a project's page, and the confirmation before a move leaves criteria unticked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from incubator.board.services import UntickedCriteria, move_project
from incubator.checklists import services
from incubator.extensions import db
from incubator.models import (
    AppendOnlyError,
    CriterionTick,
    Project,
    ProjectCriterion,
    StageCriterion,
    StageCriterionChange,
    StageMove,
    StageMoveUntickedCriterion,
    User,
)

from . import factories

V = factories.SUBMITTED_VERSION
HTMX = pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])


def _manager() -> User:
    return db.session.scalar(select(User).where(User.role == "manager")) or factories.user(
        "manager")


def _criteria(stage_position: int = 1, *names: str) -> list[StageCriterion]:
    stage = factories.stage(stage_position)
    by = _manager()
    made = [services.add_criterion(by, stage, name, f"{name} (en)") for name in names]
    db.session.commit()
    return made


def _changes(criterion: StageCriterion) -> list[str]:
    return list(db.session.scalars(
        select(StageCriterionChange.action).where(
            StageCriterionChange.criterion_id == criterion.id)
        .order_by(StageCriterionChange.id)))


def _ticked(project: Project) -> dict[int, bool]:
    return dict(db.session.execute(select(ProjectCriterion.criterion_id, ProjectCriterion.ticked)
                                   .where(ProjectCriterion.project_id == project.id)).all())


def _last_move(project: Project) -> StageMove:
    return db.session.scalar(select(StageMove).where(StageMove.project_id == project.id)
                             .order_by(StageMove.id.desc()).limit(1))


def _unticked_of(move: StageMove) -> set[int]:
    return set(db.session.scalars(select(StageMoveUntickedCriterion.criterion_id).where(
        StageMoveUntickedCriterion.move_id == move.id)))


def _token(client, url: str, form: str) -> str:
    html = client.get(url).get_data(as_text=True)
    start = html.index('name="form_token" value="', html.index(form)) + len(
        'name="form_token" value="')
    return html[start:html.index('"', start)]


# The managers' page ------------------------------------------------------------------


def test_the_checklist_page_lists_a_stages_criteria_for_managers_only(client, login):
    _criteria(2, "Collectif constitué")
    stage = factories.stage(2)
    login("advisor")
    assert client.get(f"/admin/stages/{stage.id}/checklist").status_code == 403
    client.post("/auth/logout")
    login("manager")
    response = client.get(f"/admin/stages/{stage.id}/checklist")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Collectif constitué" in html
    assert "HX-Request" in response.headers["Vary"]
    fragment = client.get(f"/admin/stages/{stage.id}/checklist", htmx=True)
    assert fragment.get_data(as_text=True).startswith(f'<div id="checklist-stage-{stage.id}"')
    assert client.get("/admin/stages/9999/checklist").status_code == 404


@HTMX
def test_a_manager_adds_a_criterion_once_and_it_is_recorded(client, login, htmx):
    manager = login("manager")
    stage = factories.stage(2)
    url = f"/admin/stages/{stage.id}/checklist"
    token = _token(client, url, 'id="criterion-form"')
    data = {"name": "  Collectif constitué ", "name_en": "Founders' group formed",
            "form_token": token}
    response = client.post(url, data=data, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    again = client.post(url, data=data, htmx=htmx)  # the same rendered form: a replay
    assert again.status_code in (204, 303)
    criteria = list(db.session.scalars(select(StageCriterion)))
    assert [(c.name, c.name_en, c.stage_id, c.position) for c in criteria] == [
        ("Collectif constitué", "Founders' group formed", stage.id, 1)]
    change = db.session.scalar(select(StageCriterionChange))
    assert (change.action, change.changed_by_id, change.name) == (
        "added", manager.id, "Collectif constitué")


def test_adding_refuses_a_blank_or_taken_name_with_a_message(client, login):
    _criteria(2, "Collectif constitué")
    login("manager")
    url = f"/admin/stages/{factories.stage(2).id}/checklist"
    blank = client.post(url, data={"name": "  "})
    assert blank.status_code == 422 and "Name the criterion." in blank.get_data(as_text=True)
    taken = client.post(url, data={"name": "COLLECTIF CONSTITUE"})
    assert taken.status_code == 422
    assert "already has a criterion called" in taken.get_data(as_text=True)
    assert db.session.query(StageCriterion).count() == 1


@HTMX
def test_renaming_is_version_checked_and_a_stale_page_keeps_the_input(client, login, htmx):
    [criterion] = _criteria(2, "Collectif constitué")
    login("manager")
    url = f"/admin/stages/{criterion.stage_id}/checklist/{criterion.id}/rename"
    p = f"c{criterion.id}-"
    ok = client.post(url, data={p + "name": "Collectif réuni", p + "name_en": "Group met",
                                p + "version": 1}, htmx=htmx)
    assert ok.status_code == (200 if htmx else 303)
    db.session.expire_all()
    assert (criterion.name, criterion.name_en, criterion.version) == (
        "Collectif réuni", "Group met", 2)
    stale = client.post(url, data={p + "name": "Mon nom à moi", p + "name_en": "",
                                   p + "version": 1}, htmx=htmx)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Mon nom à moi" in html
    assert f'name="{p}version" value="2"' in html  # sending again replaces, knowingly
    db.session.expire_all()
    assert criterion.name == "Collectif réuni"
    assert _changes(criterion) == ["added", "renamed"]


@HTMX
def test_up_and_down_reorder_the_criteria_and_htmx_swaps_the_list(client, login, htmx):
    first, second = _criteria(2, "Collectif constitué", "Besoin vérifié")
    login("manager")
    stage_id = first.stage_id
    response = client.post(f"/admin/stages/{stage_id}/checklist/{second.id}/move",
                           data={"direction": "up", "version": 1}, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.startswith(f'<div id="checklist-stage-{stage_id}"')
        assert html.index("Besoin vérifié") < html.index("Collectif constitué")
        assert "focus-target" in response.headers["HX-Trigger-After-Settle"]
    else:
        assert response.status_code == 303
    db.session.expire_all()
    assert [c.name for c in sorted((first, second), key=lambda c: c.position)] == [
        "Besoin vérifié", "Collectif constitué"]
    assert _changes(second) == ["added", "moved"]
    # The top one going up again: nothing to do, nothing recorded.
    assert client.post(f"/admin/stages/{stage_id}/checklist/{second.id}/move",
                       data={"direction": "up", "version": 2}).status_code == 303
    assert _changes(second) == ["added", "moved"]
    # A stale version: 409, nothing moved.
    stale = client.post(f"/admin/stages/{stage_id}/checklist/{first.id}/move",
                        data={"direction": "up", "version": 1}, htmx=htmx)
    assert stale.status_code == 409


def test_retiring_and_bringing_back_a_criterion_is_recorded(client, login):
    [criterion] = _criteria(2, "Collectif constitué")
    login("manager")
    url = f"/admin/stages/{criterion.stage_id}/checklist/{criterion.id}/active"
    assert client.post(url, data={"active": "0", "version": 1}).status_code == 303
    db.session.expire_all()
    assert not criterion.active
    assert client.post(url, data={"active": "1", "version": 2}).status_code == 303
    db.session.expire_all()
    assert criterion.active
    assert _changes(criterion) == ["added", "retired", "restored"]


def test_refusals_a_criterion_of_another_stage_a_bad_field_a_non_manager(client, login):
    [criterion] = _criteria(2, "Collectif constitué")
    other = factories.stage(3)
    login("manager")
    # The id of a criterion of stage 2 posted to stage 3's page.
    for action, data in (("rename", {f"c{criterion.id}-name": "x", f"c{criterion.id}-version": 1}),
                         ("move", {"direction": "up", "version": 1}),
                         ("active", {"active": "0", "version": 1})):
        url = f"/admin/stages/{other.id}/checklist/{criterion.id}/{action}"
        assert client.post(url, data=data).status_code == 404
    base = f"/admin/stages/{criterion.stage_id}/checklist/{criterion.id}"
    assert client.post(f"{base}/move", data={"direction": "sideways",
                                             "version": 1}).status_code == 400
    assert client.post(f"{base}/move", data={"direction": "up"}).status_code == 400
    assert client.post(f"{base}/active", data={"active": "0",
                                               "version": "abc"}).status_code == 400
    client.post("/auth/logout")
    login("advisor")
    assert client.post(f"{base}/active", data={"active": "0", "version": 1}).status_code == 403
    db.session.expire_all()
    assert criterion.active and _changes(criterion) == ["added"]


def test_history_rows_of_checklists_are_append_only(app):
    [criterion] = _criteria(1, "Collectif constitué")
    change = db.session.scalar(select(StageCriterionChange))
    change.name = "Réécrit"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(StageCriterionChange)))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    project = factories.project()
    services.tick(_manager(), project, criterion, 0, True)
    db.session.commit()
    tick = db.session.scalar(select(CriterionTick))
    tick.ticked = False
    with pytest.raises(AppendOnlyError):
        db.session.flush()


# Ticks on the project page ---------------------------------------------------------


def test_the_project_page_shows_the_checklist_by_locale_and_role(client, login):
    holder = factories.user("holder")
    project = factories.project(holders=[holder], title="Garage solidaire")
    _criteria(1, "Collectif constitué")
    advisor = login("advisor")
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Collectif constitué (en)" in html and 'role="checkbox"' in html
    french = client.get(f"/projects/{project.id}", headers={"Accept-Language": "fr"})
    assert "Collectif constitué</span>" in french.get_data(as_text=True)
    client.post("/auth/logout")
    assert advisor
    from .conftest import Auth
    Auth(client).login(holder)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Collectif constitué (en)" in html and 'role="checkbox"' not in html
    criterion_id = db.session.scalar(select(StageCriterion.id))
    assert client.post(f"/projects/{project.id}/checklist/{criterion_id}",
                       data={"ticked": "1", "version": 0}).status_code == 403


@HTMX
def test_an_advisor_ticks_and_unticks_a_criterion(client, login, htmx):
    project = factories.project()
    [criterion] = _criteria(1, "Collectif constitué")
    advisor = login("advisor", name="Awa Diallo")
    url = f"/projects/{project.id}/checklist/{criterion.id}"
    response = client.post(url, data={"ticked": "1", "version": 0}, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.startswith(f'<li class="criterion ticked" id="check-stage-criterion-'
                                f'{criterion.id}"')
        assert 'aria-checked="true"' in html and "Awa Diallo" in html
        assert "project-changed" in response.headers["HX-Trigger"]
        assert f"tick-stage-criterion-{criterion.id}" in response.headers[
            "HX-Trigger-After-Settle"]
        assert "HX-Request" in response.headers["Vary"]
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(
            f"/projects/{project.id}#checklist-project-{project.id}")
    assert _ticked(project) == {criterion.id: True}
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "ticked by Awa Diallo" in page and "Criterion ticked" in page
    assert client.post(url, data={"ticked": "0", "version": 1}, htmx=htmx).status_code in (
        200, 303)
    assert _ticked(project) == {criterion.id: False}
    ticks = list(db.session.execute(select(CriterionTick.ticked, CriterionTick.by_id)
                                    .order_by(CriterionTick.id)))
    assert ticks == [(True, advisor.id), (False, advisor.id)]


@HTMX
def test_two_advisors_ticking_from_the_same_page_do_not_overwrite(client, login, htmx):
    project = factories.project()
    [criterion] = _criteria(1, "Collectif constitué")
    login("advisor")
    url = f"/projects/{project.id}/checklist/{criterion.id}"
    assert client.post(url, data={"ticked": "1", "version": 0}).status_code == 303
    # A colleague's page still showed it unticked (version 0), and unticked it… no: ticks.
    stale = client.post(url, data={"ticked": "0", "version": 0}, htmx=htmx)
    assert stale.status_code == 409
    if htmx:
        assert 'aria-checked="true"' in stale.get_data(as_text=True)  # as it is now
    assert _ticked(project) == {criterion.id: True}
    assert db.session.query(CriterionTick).count() == 1


def test_ticking_refuses_criteria_of_another_stage_retired_ones_and_bad_fields(client, login):
    project = factories.project()  # in stage 1
    [mine] = _criteria(1, "Collectif constitué")
    [other] = _criteria(2, "Étude de marché faite")
    login("advisor")
    assert client.post(f"/projects/{project.id}/checklist/{other.id}",
                       data={"ticked": "1", "version": 0}).status_code == 404
    url = f"/projects/{project.id}/checklist/{mine.id}"
    assert client.post(url, data={"ticked": "yes", "version": 0}).status_code == 400
    assert client.post(url, data={"ticked": "1", "version": "x"}).status_code == 400
    assert client.post(url, data={"ticked": "1"}).status_code == 400
    services.set_active(_manager(), mine, 1, False)
    db.session.commit()
    assert client.post(url, data={"ticked": "1", "version": 0}).status_code == 404
    assert _ticked(project) == {}


# Leaving a stage with criteria unticked -------------------------------------------------


def _move(client, project, stage_position=2, htmx=False, **extra):
    return client.post(f"/projects/{project.id}/move", htmx=htmx, data={
        "stage_id": factories.stage(stage_position).id, "version": project.version,
        "next": "/board", **extra})


@HTMX
def test_a_move_with_unticked_criteria_asks_first_and_changes_nothing(client, login, htmx):
    project = factories.project(title="Garage solidaire")
    first, second = _criteria(1, "Collectif constitué", "Besoin vérifié")
    login("advisor")
    url = f"/projects/{project.id}/checklist/{first.id}"
    client.post(url, data={"ticked": "1", "version": 0})
    before = db.session.query(StageMove).count()
    response = _move(client, project, htmx=htmx, after_id=0)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "with one exit criterion unticked: Besoin vérifié (en). Move it all the same?" in html
    assert "Move all the same" in html and 'name="confirm" value="1"' in html
    assert f'name="stage_id" value="{factories.stage(2).id}"' in html
    if htmx:  # in the card's place, with a way back
        assert html.startswith(f'<li class="card editing leave-unticked" id="project-{project.id}"')
        assert f"/projects/{project.id}/card" in html
    else:
        assert "<html" in html and 'href="/board"' in html
    db.session.expire_all()
    assert project.stage_id == factories.stage(1).id
    assert db.session.query(StageMove).count() == before


@HTMX
def test_confirming_moves_and_records_the_unticked_criteria(client, login, htmx):
    project = factories.project(title="Garage solidaire")
    first, second = _criteria(1, "Collectif constitué", "Besoin vérifié")
    login("advisor")
    client.post(f"/projects/{project.id}/checklist/{first.id}",
                data={"ticked": "1", "version": 0})
    response = _move(client, project, htmx=htmx, confirm="1", unticked=[second.id])
    assert response.status_code == (200 if htmx else 303)
    db.session.expire_all()
    assert project.stage_id == factories.stage(2).id
    move = _last_move(project)
    assert _unticked_of(move) == {second.id}
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "with a criterion unticked: Besoin vérifié (en)" in page


@HTMX
def test_a_confirmation_that_did_not_name_every_unticked_criterion_asks_again(client, login,
                                                                               htmx):
    """A criterion unticked since the question was asked (or a confirmation naming none)
    is not left behind unseen: the question comes again, naming it."""
    project = factories.project()
    first, second = _criteria(1, "Collectif constitué", "Besoin vérifié")
    login("advisor")
    for named in ([first.id], [], ["abc"]):
        response = _move(client, project, htmx=htmx, confirm="1", unticked=named)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "2 exit criteria unticked" in html
        assert f'name="unticked" value="{second.id}"' in html
        assert html.count('name="unticked"') == 2
    db.session.expire_all()
    assert project.stage_id == factories.stage(1).id
    assert db.session.query(StageMoveUntickedCriterion).count() == 0


def test_a_move_told_to_leave_any_unticked_as_a_committee_does_records_them(app):
    project = factories.project()
    [criterion] = _criteria(1, "Collectif constitué")
    move_project(project, _manager(), stage_id=factories.stage(2).id, seen_version=V,
                 leave_unticked=True)
    db.session.commit()
    assert _unticked_of(_last_move(project)) == {criterion.id}


def test_a_forged_confirmation_without_unticked_criteria_records_nothing(client, login):
    project = factories.project()
    login("advisor")
    assert _move(client, project, confirm="1").status_code == 303
    db.session.expire_all()
    assert project.stage_id == factories.stage(2).id
    assert db.session.query(StageMoveUntickedCriterion).count() == 0


def test_all_ticked_or_no_criteria_asks_nothing(client, login):
    project = factories.project()
    [criterion] = _criteria(1, "Collectif constitué")
    _criteria(2, "Étude de marché faite")  # the target's criteria do not matter
    login("advisor")
    client.post(f"/projects/{project.id}/checklist/{criterion.id}",
                data={"ticked": "1", "version": 0})
    assert _move(client, project).status_code == 303
    assert db.session.query(StageMoveUntickedCriterion).count() == 0
    plain = factories.project()  # stage 1 again: all ticked? no, but within its column
    db.session.commit()
    response = client.post(f"/projects/{plain.id}/move", data={
        "stage_id": factories.stage(1).id, "version": plain.version, "position": 1})
    assert response.status_code == 303  # a reorder inside the column asks nothing


def test_a_retired_criterion_is_not_asked_and_stays_on_old_moves(client, login):
    project = factories.project()
    [criterion] = _criteria(1, "Collectif constitué")
    login("advisor")
    assert _move(client, project, confirm="1", unticked=[criterion.id]).status_code == 303
    move = _last_move(project)
    services.set_active(_manager(), criterion, 1, False)
    db.session.commit()
    later = factories.project()
    db.session.commit()
    assert _move(client, later).status_code == 303  # no longer asked
    assert _unticked_of(move) == {criterion.id}
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Collectif constitué (en)" in page


def test_the_service_refuses_without_the_confirmation(app):
    project = factories.project()
    [criterion] = _criteria(1, "Collectif constitué")
    with pytest.raises(UntickedCriteria) as refused:
        move_project(project, _manager(), stage_id=factories.stage(2).id, seen_version=V)
    assert [c.id for c in refused.value.criteria] == [criterion.id]


def test_renaming_and_reordering_criteria_never_rewrite_the_history(client, login):
    project = factories.project()
    first, second = _criteria(1, "Collectif constitué", "Besoin vérifié")
    login("advisor")
    assert _move(client, project, confirm="1",
                 unticked=[first.id, second.id]).status_code == 303
    move = _last_move(project)
    recorded = _unticked_of(move)
    moves = list(db.session.execute(select(StageMove.id, StageMove.from_stage_id,
                                           StageMove.to_stage_id)))
    manager = _manager()
    services.rename_criterion(manager, first, 1, "Collectif réuni", "")
    services.move_criterion(manager, second, 1, -1)
    db.session.commit()
    assert _unticked_of(move) == recorded == {first.id, second.id}
    assert list(db.session.execute(select(StageMove.id, StageMove.from_stage_id,
                                          StageMove.to_stage_id))) == moves
    page = client.get(f"/projects/{project.id}", headers={"Accept-Language": "fr"})
    assert "Collectif réuni" in page.get_data(as_text=True)
