"""The stage settings on /admin/stages (issue 13, part A): managers only; add (once), edit
(version-checked), reorder (« Up » / « Down » forms and drag and drop, order-checked),
retire (refused for a busy or the last stage) and bring back; every change recorded; the
review's figures unchanged by renames and reorders, its order following the stages'."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import AppendOnlyError, Stage, StageMove, StageSettingChange
from incubator.pipeline import queries as review_queries
from incubator.report import queries as report_queries
from incubator.text import search_key

from . import factories, pipeline_history
from .conftest import is_postgres, make_app, reset_database
from .test_pipeline import NOW, TODAY, YEAR_2026

URL = "/admin/stages"


def _stages(active: bool = True) -> list[Stage]:
    return list(db.session.scalars(
        select(Stage).where(Stage.active.is_(active)).order_by(Stage.position, Stage.id)))


def _names(active: bool = True) -> list[str]:
    return [stage.name for stage in _stages(active)]


def _order() -> str:
    return ",".join(str(stage.id) for stage in _stages())


def _changes() -> list[StageSettingChange]:
    return list(db.session.scalars(select(StageSettingChange).order_by(StageSettingChange.id)))


def _stage(name: str) -> Stage:
    return db.session.scalar(select(Stage).where(Stage.name == name))


def _edit_form(stage: Stage, **changes) -> dict:
    data = {"name": stage.name, "name_en": stage.name_en, "description": stage.description,
            "description_en": stage.description_en,
            "wip_limit": "" if stage.wip_limit is None else str(stage.wip_limit),
            "stalled_days": "" if stage.stalled_days is None else str(stage.stalled_days),
            "version": str(stage.version)}
    data.update(changes)
    return data


def _new(**changes) -> dict:
    data = {"name": "Consolidation", "name_en": "Consolidation", "description": "Après.",
            "description_en": "After.", "wip_limit": "8", "stalled_days": "45", "place": ""}
    data.update(changes)
    return data


def _token(client) -> str:
    html = client.get(URL).get_data(as_text=True)
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


# Who may ----------------------------------------------------------------------------------


def test_a_manager_sees_the_stages_in_order_with_their_settings_and_counts(client, login):
    login("manager")
    factories.project(stage_position=2)
    factories.project(stage_position=2, status="paused")
    factories.project(stage_position=2, status="closed")
    stage = factories.stage(2)
    stage.wip_limit, stage.stalled_days = 4, 21
    db.session.commit()
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert "<html" in html and 'id="stage-list"' in html
    positions = [html.index(f'id="stage-{s.id}"') for s in _stages()]
    assert positions == sorted(positions)
    row = html[html.index(f'id="stage-{stage.id}"'):html.index(f'id="stage-{factories.stage(3).id}"')]
    assert "Émergence" in row and "Emergence" in row and "21 days" in row and ">4<" in row
    assert "1 on the board, 1 paused" in row
    assert 'href="/admin/stages"' in html  # the header's link


def test_the_list_comes_alone_to_htmx(client, login):
    login("manager")
    response = client.get(URL, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<div id="stage-list"') and "<html" not in html


@pytest.mark.parametrize("role", ["advisor", "holder", "mentor"])
def test_other_roles_get_403_and_change_nothing(client, login, role):
    login(role)
    stage = factories.stage(2)
    order = _order()
    for url, data in [(URL, _new()), (f"{URL}/{stage.id}/edit", _edit_form(stage, name="X")),
                      (f"{URL}/{stage.id}/move", {"direction": "up", "order": order}),
                      (f"{URL}/order", {"ids": order, "order": order}),
                      (f"{URL}/{stage.id}/retire", {"version": "1"}),
                      (f"{URL}/{stage.id}/restore", {"version": "1"})]:
        assert client.post(url, data=data).status_code == 403, url
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{stage.id}/edit").status_code == 403
    assert _changes() == [] and len(_stages()) == 5 and _stage("Émergence").version == 1


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get(URL, htmx=True).status_code == 401


def test_the_header_links_to_the_page_for_managers_only(client, login):
    login("advisor")
    assert 'href="/admin/stages"' not in client.get("/board").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/9999/edit", "/9999/move", "/9999/retire", "/9999/restore"])
def test_an_unknown_stage_is_404(client, login, path):
    login("manager")
    method = client.get if path.endswith("edit") else client.post
    data = {"direction": "up", "order": _order(), "version": "1"}
    assert (method(URL + path) if method == client.get else
            method(URL + path, data=data)).status_code == 404


def test_without_csrf_nothing_changes(client, login):
    login("manager")
    stage = factories.stage(2)
    response = client.post(f"{URL}/{stage.id}/move", csrf=False,
                           data={"direction": "up", "order": _order()})
    assert response.status_code == 400 and _names()[0] == "Accueil"


# Adding -----------------------------------------------------------------------------------


def test_a_stage_is_added_at_the_end_and_recorded(client, login):
    manager = login("manager", name="Claire Rouxel")
    response = client.post(URL, data={**_new(), "form_token": _token(client)})
    assert response.status_code == 303 and response.headers["Location"].startswith(URL)
    assert _names()[-1] == "Consolidation"
    stage = _stage("Consolidation")
    assert (stage.position, stage.wip_limit, stage.stalled_days, stage.version) == (6, 8, 45, 1)
    change = _changes()[-1]
    assert (change.action, change.stage_id, change.changed_by_id) == (
        "created", stage.id, manager.id)
    html = client.get(URL).get_data(as_text=True)
    assert "Claire Rouxel" in html and "added “Consolidation”" in html


def test_a_stage_is_added_after_a_chosen_stage_or_first(client, login):
    login("manager")
    emergence = _stage("Émergence")
    client.post(URL, data={**_new(place=str(emergence.id)), "form_token": _token(client)})
    client.post(URL, data={**_new(name="Pré-accueil", name_en="", place="0"),
                           "form_token": _token(client)})
    assert _names() == ["Pré-accueil", "Accueil", "Émergence", "Consolidation",
                        "Étude de faisabilité", "Lancement", "Développement"]
    assert [s.position for s in _stages()] == [1, 2, 3, 4, 5, 6, 7]


def test_the_add_form_is_accepted_once(client, login):
    login("manager")
    data = {**_new(), "form_token": _token(client)}
    assert client.post(URL, data=data).status_code == 303
    response = client.post(URL, data=data, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == URL
    assert _names().count("Consolidation") == 1
    assert "already added" in client.get(URL).get_data(as_text=True)


def test_an_added_stage_by_htmx_reloads_the_page(client, login):
    login("manager")
    response = client.post(URL, data={**_new(), "form_token": _token(client)}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith(URL)


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "new-stage-name"),
    ({"name": "   "}, "new-stage-name"),
    ({"name": "x" * 81}, "new-stage-name"),
    ({"name": "EMERGENCE"}, "new-stage-name"),  # Émergence, capitals and accents aside
    ({"name_en": "feasibility  STUDY"}, "new-stage-name-en"),
    ({"description": "x" * 1001}, "new-stage-description"),
    ({"wip_limit": "0"}, "new-stage-wip-limit"),
    ({"wip_limit": "-3"}, "new-stage-wip-limit"),
    ({"wip_limit": "2.5"}, "new-stage-wip-limit"),
    ({"stalled_days": "abc"}, "new-stage-stalled-days"),
    ({"stalled_days": "99999"}, "new-stage-stalled-days"),
    ({"place": "9999"}, "new-stage-place"),
    ({"place": "abc"}, "new-stage-place"),
])
def test_a_bad_new_stage_is_refused_with_its_message_and_the_input_kept(
        client, login, changes, field):
    login("manager")
    data = {**_new(**changes), "form_token": _token(client)}
    response = client.post(URL, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in html
    assert len(_stages()) == 5 and _changes() == []
    response = client.post(URL, data=data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and html.lstrip().startswith('<div id="stage-add-form"')
    assert "HX-Request" in response.vary


def test_a_retired_stage_offered_as_a_place_by_an_old_page_is_refused(client, login):
    login("manager")
    token = _token(client)
    stage = _stage("Lancement")
    client.post(f"{URL}/{stage.id}/retire", data={"version": "1"})
    response = client.post(URL, data={**_new(place=str(stage.id)), "form_token": token})
    assert response.status_code == 422 and 'id="new-stage-place-error"' in response.text
    assert _stage("Consolidation") is None


# Editing ----------------------------------------------------------------------------------


def test_a_stage_is_edited_and_the_change_recorded(client, login):
    manager = login("manager")
    stage = _stage("Émergence")
    assert client.get(f"{URL}/{stage.id}/edit").status_code == 200
    response = client.post(f"{URL}/{stage.id}/edit", data=_edit_form(
        stage, name="Émergence du collectif", wip_limit="6", stalled_days=""))
    assert response.status_code == 303
    stage = _stage("Émergence du collectif")
    assert (stage.wip_limit, stage.version) == (6, 2)
    change = _changes()[-1]
    assert change.action == "edited" and change.changed_fields == "name,wip_limit"
    assert change.changed_by_id == manager.id and change.name == "Émergence du collectif"


def test_an_edit_by_htmx_and_its_fragment(client, login):
    login("manager")
    stage = _stage("Émergence")
    response = client.get(f"{URL}/{stage.id}/edit", htmx=True)
    assert response.text.lstrip().startswith('<div id="stage-form"')
    assert "HX-Request" in response.vary
    response = client.post(f"{URL}/{stage.id}/edit", htmx=True,
                           data=_edit_form(stage, description_en="Need clarified."))
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith(URL)
    response = client.post(f"{URL}/{stage.id}/edit", htmx=True, data=_edit_form(
        _stage("Émergence"), name="accueil"))
    assert response.status_code == 422 and 'id="name-error"' in response.text


def test_saving_the_same_values_writes_nothing(client, login):
    login("manager")
    stage = _stage("Émergence")
    response = client.post(f"{URL}/{stage.id}/edit", data=_edit_form(stage),
                           follow_redirects=True)
    assert "Nothing changed" in response.text and _changes() == []
    assert _stage("Émergence").version == 1


def test_a_stage_keeps_its_own_name_in_another_spelling(client, login):
    login("manager")
    stage = _stage("Émergence")
    response = client.post(f"{URL}/{stage.id}/edit", data=_edit_form(stage, name="émergence"))
    assert response.status_code == 303 and _stage("émergence") is not None


@pytest.mark.parametrize("htmx", [False, True])
def test_a_stale_edit_is_refused_with_409_and_the_input_kept(client, login, htmx):
    login("manager")
    stage = _stage("Émergence")
    old = _edit_form(stage)
    client.post(f"{URL}/{stage.id}/edit", data=_edit_form(stage, name="Émergence 2"))
    response = client.post(f"{URL}/{stage.id}/edit", htmx=htmx,
                           data={**old, "name": "Mon nom à moi"})
    html = response.text
    assert response.status_code == 409 and "Someone changed this" in html
    assert 'value="Mon nom à moi"' in html and "Émergence 2" in html
    assert 'name="version" type="hidden" value="2"' in html
    assert _stage("Émergence 2").version == 2 and len(_changes()) == 1


def test_an_edit_without_a_version_is_refused(client, login):
    login("manager")
    stage = _stage("Émergence")
    data = _edit_form(stage, name="Sans version")
    del data["version"]
    assert client.post(f"{URL}/{stage.id}/edit", data=data).status_code == 409
    assert _stage("Sans version") is None


# Reordering -------------------------------------------------------------------------------


def test_down_moves_a_stage_one_place_and_records_it(client, login):
    login("manager")
    stage = _stage("Accueil")
    response = client.post(f"{URL}/{stage.id}/move", data={"direction": "down",
                                                           "order": _order()})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"#stage-{stage.id}")
    assert _names()[:2] == ["Émergence", "Accueil"]
    assert [s.position for s in _stages()] == [1, 2, 3, 4, 5]
    change = _changes()[-1]
    assert (change.action, change.stage_id, change.position) == ("moved", stage.id, 2)


def test_up_by_htmx_answers_the_list_with_the_focus_on_the_button(client, login):
    login("manager")
    stage = _stage("Lancement")
    response = client.post(f"{URL}/{stage.id}/move", htmx=True,
                           data={"direction": "up", "order": _order()})
    html = response.text
    assert response.status_code == 200 and html.lstrip().startswith('<div id="stage-list"')
    assert f'"id": "up-stage-{stage.id}"' in response.headers["HX-Trigger-After-Settle"]
    assert f'id="up-stage-{stage.id}"' in html and 'hx-swap-oob' in html
    assert _names()[2] == "Lancement"


def test_at_the_top_the_focus_goes_to_the_other_button(client, login):
    login("manager")
    stage = _stage("Émergence")
    response = client.post(f"{URL}/{stage.id}/move", htmx=True,
                           data={"direction": "up", "order": _order()})
    assert f'"id": "down-stage-{stage.id}"' in response.headers["HX-Trigger-After-Settle"]
    html = response.text
    button = re.search(rf'<button[^>]*id="up-stage-{stage.id}"[^>]*>', html).group(0)
    assert "disabled" in button
    response = client.post(f"{URL}/{stage.id}/move", data={"direction": "up",
                                                           "order": _order()})
    assert response.status_code == 303 and _names()[0] == "Émergence"
    assert len(_changes()) == 1  # already first: nothing written


@pytest.mark.parametrize("htmx", [False, True])
def test_a_move_from_a_stale_order_is_refused_with_the_current_order(client, login, htmx):
    login("manager")
    seen = _order()
    client.post(f"{URL}/{_stage('Accueil').id}/move", data={"direction": "down", "order": seen})
    response = client.post(f"{URL}/{_stage('Lancement').id}/move", htmx=htmx,
                           data={"direction": "up", "order": seen})
    assert response.status_code == 409 and "changed since" in response.text
    assert f'data-order="{_order()}"' in response.text
    assert _names() == ["Émergence", "Accueil", "Étude de faisabilité", "Lancement",
                        "Développement"]


@pytest.mark.parametrize("order", ["", "1,2,x", "abc"])
def test_a_forged_order_is_400(client, login, order):
    login("manager")
    stage = _stage("Accueil")
    assert client.post(f"{URL}/{stage.id}/move",
                       data={"direction": "down", "order": order}).status_code == 400
    assert client.post(f"{URL}/{stage.id}/move",
                       data={"direction": "sideways", "order": _order()}).status_code == 400


def test_a_retired_stage_cannot_be_moved(client, login):
    login("manager")
    stage = _stage("Lancement")
    client.post(f"{URL}/{stage.id}/retire", data={"version": "1"})
    response = client.post(f"{URL}/{stage.id}/move", data={"direction": "up",
                                                           "order": _order()})
    assert response.status_code == 422 and "retired" in response.text


def test_drag_and_drop_sends_the_whole_order(client, login):
    login("manager")
    stages = _stages()
    new = [stages[2], stages[0], stages[1], stages[3], stages[4]]
    response = client.post(f"{URL}/order", htmx=True, data={
        "ids": ",".join(str(s.id) for s in new), "order": _order(),
        "moved_id": str(stages[2].id)})
    assert response.status_code == 200 and response.text.lstrip().startswith(
        '<div id="stage-list"')
    assert _names() == [s.name for s in new]
    assert [(c.action, c.stage_id, c.position) for c in _changes()] == [
        ("moved", stages[2].id, 1)]
    response = client.post(f"{URL}/order", data={
        "ids": ",".join(str(s.id) for s in stages), "order": _order()})
    assert response.status_code == 303 and _names()[0] == "Accueil"


@pytest.mark.parametrize("kind", ["stale", "missing", "foreign"])
def test_a_drag_from_a_stale_or_forged_list_is_refused(client, login, kind):
    login("manager")
    stages = _stages()
    seen = _order()
    ids = [s.id for s in reversed(stages)]
    if kind == "stale":
        client.post(f"{URL}/{stages[0].id}/move", data={"direction": "down", "order": seen})
    elif kind == "missing":
        ids = ids[:-1]
    else:  # a stage id of another page's list: a retired stage, or none at all
        ids = ids + [9999]
    response = client.post(f"{URL}/order", data={"ids": ",".join(map(str, ids)), "order": seen})
    assert response.status_code == 409
    assert _names()[-1] == "Développement"


# Retiring and bringing back ---------------------------------------------------------------


def test_an_empty_stage_is_retired_and_brought_back_at_the_end(client, login):
    login("manager")
    stage = _stage("Émergence")
    factories.project(stage_position=2, status="closed")  # closed: keeps nothing
    db.session.commit()
    response = client.post(f"{URL}/{stage.id}/retire", data={"version": "1"})
    assert response.status_code == 303
    assert _names(active=False) == ["Émergence"]
    assert [s.position for s in _stages()] == [1, 2, 3, 4]
    html = client.get("/board").text
    assert f'id="column-stage-{stage.id}"' not in html
    assert f'id="column-stage-{_stage("Accueil").id}"' in html
    response = client.post(f"{URL}/{stage.id}/restore", htmx=True,
                           data={"version": str(_stage("Émergence").version)})
    assert response.status_code == 200 and response.text.lstrip().startswith(
        '<div id="stage-list"')
    assert _names()[-1] == "Émergence" and _names(active=False) == []
    assert [c.action for c in _changes()] == ["retired", "restored"]


def test_retire_by_htmx_and_restore_without_javascript(client, login):
    login("manager")
    stage = _stage("Développement")
    response = client.post(f"{URL}/{stage.id}/retire", htmx=True, data={"version": "1"})
    html = response.text
    assert response.status_code == 200 and html.lstrip().startswith('<div id="stage-list"')
    assert f'"id": "stage-{stage.id}"' in response.headers["HX-Trigger-After-Settle"]
    assert f'id="restore-stage-{stage.id}"' in html and "HX-Request" in response.vary
    response = client.post(f"{URL}/{stage.id}/restore", data={"version": "2"})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"#stage-{stage.id}")
    assert _names()[-1] == "Développement" and _stage("Développement").version == 3


@pytest.mark.parametrize("htmx", [False, True])
def test_a_busy_stage_is_not_retired_and_the_message_links_to_its_projects(
        client, login, htmx):
    login("manager")
    stage = _stage("Émergence")
    active = factories.project(stage_position=2, title="Recyclerie")
    paused = factories.project(stage_position=2, title="Tiers-lieu", status="paused")
    db.session.commit()
    response = client.post(f"{URL}/{stage.id}/retire", htmx=htmx, data={"version": "1"})
    html = response.text
    assert response.status_code == 409 and "still holds 2 projects" in html
    assert f'href="/projects/{active.id}"' in html and f'href="/projects/{paused.id}"' in html
    assert "(paused)" in html and _stage("Émergence").active and _changes() == []


def test_a_stage_with_many_projects_links_to_twenty_and_the_column(client, login, monkeypatch):
    login("manager")
    from incubator.admin import stages as routes

    monkeypatch.setattr(routes, "BUSY_LINKS", 3)
    stage = _stage("Émergence")
    for n in range(5):
        factories.project(stage_position=2, title=f"Projet {n}")
    db.session.commit()
    html = client.post(f"{URL}/{stage.id}/retire", data={"version": "1"}).text
    assert "still holds 5 projects" in html
    assert len(re.findall(r'href="/projects/\d+"', html)) == 3
    assert "and 2 others" in html and f'href="/board/stages/{stage.id}"' in html


def test_a_single_project_is_said_in_the_singular_in_french(client, login):
    login("manager")
    stage = _stage("Émergence")
    factories.project(stage_position=2)
    db.session.commit()
    html = client.post(f"{URL}/{stage.id}/retire", data={"version": "1"},
                       headers={"Accept-Language": "fr"}).text
    assert "contient encore 1 projet (actif ou en pause)" in html


def test_the_last_active_stage_is_not_retired(client, login):
    login("manager")
    for stage in _stages()[1:]:
        assert client.post(f"{URL}/{stage.id}/retire",
                           data={"version": str(stage.version)}).status_code == 303
    last = _stages()[0]
    response = client.post(f"{URL}/{last.id}/retire", data={"version": str(last.version)})
    assert response.status_code == 409 and "only active stage" in response.text
    assert _stages() == [last]


def test_a_stale_retirement_or_return_is_refused(client, login):
    login("manager")
    stage = _stage("Lancement")
    client.post(f"{URL}/{stage.id}/edit", data=_edit_form(stage, wip_limit="3"))
    response = client.post(f"{URL}/{stage.id}/retire", data={"version": "1"})
    assert response.status_code == 409 and _stage("Lancement").active
    assert client.post(f"{URL}/{stage.id}/retire", data={"version": "2"}).status_code == 303
    # Pressed twice (two tabs): the second finds it retired already.
    assert client.post(f"{URL}/{stage.id}/retire", data={"version": "2"}).status_code == 409
    assert client.post(f"{URL}/{stage.id}/restore", data={"version": "2"}).status_code == 409
    assert client.post(f"{URL}/{stage.id}/restore", data={"version": "3"}).status_code == 303
    assert client.post(f"{URL}/{stage.id}/restore", data={"version": "4"}).status_code == 409
    assert client.post(f"{URL}/{stage.id}/retire", data={}).status_code == 400


def test_a_retired_stage_takes_no_idea_no_move_and_reopens_elsewhere(client, login):
    login("manager")
    first = _stage("Accueil")
    paused = factories.project(stage_position=3, status="paused")
    db.session.commit()
    client.post(f"{URL}/{first.id}/retire", data={"version": "1"})
    # A new idea enters the first active stage.
    idea = factories.project(stage_position=1, title="Nouvelle idée")
    db.session.commit()
    assert idea.stage_id == _stage("Émergence").id
    # The move control does not offer the retired stage, and refuses it.
    response = client.get(f"/projects/{idea.id}/move")
    assert response.status_code == 200 and 'name="stage_id"' in response.text
    assert f'value="{first.id}"' not in response.text
    response = client.post(f"/projects/{idea.id}/move", data={
        "stage_id": str(first.id), "version": str(idea.version)})
    assert response.status_code in (404, 409, 422) and db.session.get(
        type(idea), idea.id).stage_id == _stage("Émergence").id
    assert client.get(f"/board/stages/{first.id}").status_code == 404
    assert paused.stage_id == _stage("Étude de faisabilité").id


# History never rewritten ------------------------------------------------------------------


def _normalised(tables, stages: list[Stage]) -> dict:
    """Each table's columns and rows, with every stage name replaced by the stage's id."""
    names = {stage.name: f"stage:{stage.id}" for stage in stages}
    names.update({stage.name_en: f"stage:{stage.id}" for stage in stages if stage.name_en})
    # Longest first, so that "Lancement (renommée)" is not read as "Lancement".
    pattern = re.compile("(?<!\\w)(" + "|".join(
        re.escape(name) for name in sorted(names, key=len, reverse=True)) + ")(?!\\w)")

    def cell(value):
        text = str(value) if hasattr(value, "href") else value
        if not isinstance(text, str):
            return text
        return pattern.sub(lambda found: names[found.group(0)], text)

    return {table.key: ([cell(c.label) for c in table.columns],
                        [tuple(cell(v) for v in row) for row in table.rows],
                        tuple(cell(v) for v in table.footer) if table.footer else None)
            for table in tables}


def _cells(table) -> list[str]:
    """A normalised table as a sorted list of rows, each row its (column, value) pairs in
    any order: the same figures whatever the order of the stages (rows or columns)."""
    columns, rows, footer = table
    return sorted(repr(sorted(map(repr, zip(columns, row, strict=True))))
                  for row in [*rows, *([footer] if footer else [])])


def _figures(app) -> dict:
    stages = list(db.session.scalars(select(Stage)))
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        review = review_queries.review(YEAR_2026, NOW, TODAY)
        report = report_queries.report(report_queries.period(2026))
        return _normalised([*review.tables, *report], stages)


def _moves() -> list[tuple]:
    return list(db.session.execute(
        select(StageMove.id, StageMove.project_id, StageMove.from_stage_id, StageMove.to_stage_id,
               StageMove.moved_at).order_by(StageMove.id)))


def test_renaming_and_reordering_never_rewrite_the_review_or_the_report(app, client, login):
    pipeline_history.build()
    login("manager")
    before, moves = _figures(app), _moves()
    assert moves and before["stages_now"][1]
    for stage in _stages():
        response = client.post(f"{URL}/{stage.id}/edit", data=_edit_form(
            stage, name=f"{stage.name} (renommée)", name_en=f"{stage.name_en} (renamed)"))
        assert response.status_code == 303
    assert _figures(app) == before and _moves() == moves
    # Reordered: the same figures, each table's stage rows in the new order.
    stages = _stages()
    new = [stages[4], stages[2], stages[0], stages[3], stages[1]]
    client.post(f"{URL}/order", data={"ids": ",".join(str(s.id) for s in new),
                                      "order": _order()})
    after = _figures(app)
    assert _moves() == moves
    tokens = [f"stage:{s.id}" for s in new]
    for key in before:
        if key == "conversion":
            # Defined on the current order ("reached the next stage or a later one"): its
            # pairs follow the new order; its figures may change, and must.
            pairs = [row[0] for row in after[key][1]]
            assert pairs == [f"{a} → {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            continue
        assert _cells(after[key]) == _cells(before[key]), key
    shown = [row[0] for row in after["stages_now"][1] if row[0] in tokens]
    assert shown == tokens
    page = client.get("/pipeline?preset=year").text
    section = page[page.index('id="pipeline-stages-now"'):]
    section = section[:section.index("</section>")]
    places = [section.index(s.name_en) for s in new]
    assert places == sorted(places)


def test_a_retired_stage_still_counts_in_the_review(app, client, login):
    history = pipeline_history.build()
    login("manager")
    before = _figures(app)
    # Lancement holds D (closed) only: it can be retired.
    launch = history.stages[3]
    assert client.post(f"{URL}/{launch.id}/retire",
                       data={"version": str(launch.version)}).status_code == 303
    after = _figures(app)
    assert after["time_in_stage"] == before["time_in_stage"]
    assert after["stages"] == before["stages"]  # the report's projects per stage
    assert f"stage:{launch.id}" not in [row[0] for row in after["stages_now"][1]]


# The history table ------------------------------------------------------------------------


def test_history_rows_are_never_edited_nor_deleted(client, login):
    login("manager")
    stage = _stage("Émergence")
    client.post(f"{URL}/{stage.id}/edit", data=_edit_form(stage, wip_limit="5"))
    change = _changes()[0]
    change.name = "Autre"
    with pytest.raises(AppendOnlyError, match="never edited"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(_changes()[0])
    with pytest.raises(AppendOnlyError, match="never deleted"):
        db.session.flush()
    db.session.rollback()


def test_the_page_shows_the_latest_changes_with_who_and_when(client, login):
    login("manager", name="Claire Rouxel")
    stage = _stage("Émergence")
    client.post(f"{URL}/{stage.id}/edit", data=_edit_form(stage, wip_limit="5",
                                                          stalled_days="30"))
    client.post(f"{URL}/{stage.id}/move", data={"direction": "up", "order": _order()})
    html = client.get(URL).text
    assert "Claire Rouxel" in html
    assert "changed “Émergence”: WIP limit, stalled threshold" in html
    assert "moved “Émergence” to place 1" in html
    assert db.session.scalar(select(func.count()).select_from(StageSettingChange)) == 2


def test_names_are_compared_with_the_text_helpers():
    assert search_key("ÉTUDE  de faisabilité") == search_key("étude de faisabilite")


@pytest.mark.skipif(not is_postgres(), reason="real parallel transactions need PostgreSQL")
def test_parallel_reorders_from_one_page_let_one_win_and_refuse_the_others():
    """Three managers' tabs show the same order and change it at the same instant: one
    wins, the others are told the order changed (409), none gets a 500, the positions stay
    1 to 5."""
    app = make_app()
    reset_database(app)
    with app.app_context():
        emails = [factories.user(role="manager").email for _ in range(3)]
        db.session.commit()
        stages = [s.id for s in _stages()]
    seen = ",".join(map(str, stages))
    clients = [app.test_client() for _ in emails]
    for each, email in zip(clients, emails, strict=True):
        assert each.post("/auth/login", data={"email": email,
                                              "password": factories.PASSWORD}).status_code == 303
    requests = [
        (f"{URL}/{stages[0]}/move", {"direction": "down", "order": seen}),
        (f"{URL}/{stages[1]}/move", {"direction": "up", "order": seen}),
        (f"{URL}/order", {"ids": ",".join(map(str, reversed(stages))), "order": seen}),
    ]
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def send(each, url, data) -> None:
        barrier.wait()
        answers.append(each.post(url, data=data).status_code)

    threads = [threading.Thread(target=send, args=(each, *request))
               for each, request in zip(clients, requests, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        assert sorted(s.position for s in _stages()) == [1, 2, 3, 4, 5]
        moved = db.session.scalar(select(func.count()).select_from(StageSettingChange))
        db.session.remove()
        db.engine.dispose()
    assert sorted(answers) == [303, 409, 409], answers
    assert moved in (1, 4), moved  # a button: its stage; the drag (no moved_id): 4 moved
