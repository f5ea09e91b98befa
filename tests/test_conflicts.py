"""No edit is silently lost: two people editing a shared object from the same version.

The second to save gets 409 with what they typed kept in the form and the current values
shown beside it; the database keeps the first edit. Each edit is tested as a plain form
(the form page again, 409) and as htmx (the form fragment, 409). The notes have theirs in
test_notes.py.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import Project, ProjectEvent, ProjectHolder

from . import factories

CONFLICT = "Someone changed this since you opened it."


def _switch(auth, user) -> None:
    auth.logout()
    assert auth.login(user).status_code == 303


@pytest.fixture
def shared(login, auth):
    """A project in the first stage, with a holder and an advisor who both may edit its
    description; the advisor is logged in."""
    holder = factories.user(name="Anne Briand")
    project = factories.project(holders=[holder], title="Épicerie vrac", stage_position=1)
    db.session.commit()
    advisor = login("advisor", name="Yann Le Goff")
    project.advisor_id = advisor.id
    db.session.commit()
    return advisor, holder, project


@pytest.mark.parametrize("htmx", [False, True])
def test_the_second_description_edit_from_the_same_version_gets_409(client, auth, shared,
                                                                   htmx):
    advisor, holder, project = shared
    seen = project.version
    _switch(auth, holder)
    first = client.post(f"/projects/{project.id}/edit", htmx=htmx, data=factories.complete_idea(
        need="Le besoin selon Anne.", save_draft="y", version=seen))
    assert first.status_code in (200, 303)
    _switch(auth, advisor)
    second = client.post(f"/projects/{project.id}/edit", htmx=htmx, data=factories.complete_idea(
        need="Le besoin selon Yann.", save_draft="y", version=seen))
    html = second.get_data(as_text=True)
    assert second.status_code == 409
    assert ("<html" in html) is not htmx
    assert CONFLICT in html
    assert "Le besoin selon Yann.</textarea>" in html  # what the advisor typed, kept
    assert "Le besoin selon Anne." in html  # the current value, shown
    current = db.session.get(Project, project.id)
    assert f'name="version" type="hidden" value="{current.version}"' in html
    assert current.need == "Le besoin selon Anne." and current.version == seen + 1
    events = db.session.scalar(select(func.count()).select_from(ProjectEvent).where(
        ProjectEvent.kind == "description_edited"))
    assert events == 1
    if htmx:
        assert html.lstrip().startswith('<div class="description-block editing"')


def test_saving_again_after_reading_the_conflict_replaces_the_description(client, shared):
    advisor, _, project = shared
    seen = project.version
    project.need = "Changé ailleurs"
    project.version = seen + 1
    db.session.commit()
    refused = client.post(f"/projects/{project.id}/edit", htmx=True, data=factories.complete_idea(
        need="Ma version", save_draft="y", version=seen))
    assert refused.status_code == 409
    again = client.post(f"/projects/{project.id}/edit", htmx=True, data=factories.complete_idea(
        need="Ma version", save_draft="y", version=seen + 1))
    assert again.status_code == 200
    assert db.session.get(Project, project.id).need == "Ma version"


def test_an_edit_without_its_version_is_refused_not_guessed(client, shared):
    _, _, project = shared
    response = client.post(f"/projects/{project.id}/edit",
                           data=factories.complete_idea(need="Sans version", save_draft="y"))
    assert response.status_code == 409
    assert db.session.get(Project, project.id).need != "Sans version"


def test_the_edit_form_carries_the_version_it_was_rendered_from(client, shared):
    _, _, project = shared
    for htmx in (False, True):
        html = client.get(f"/projects/{project.id}/edit", htmx=htmx).get_data(as_text=True)
        assert f'name="version" type="hidden" value="{project.version}"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_the_second_advisor_choice_from_the_same_version_gets_409(client, auth, shared, htmx):
    advisor, _, project = shared
    colleague = factories.user(role="advisor", name="Morgane Le Bihan")
    manager = factories.user(role="manager", name="Paul Hamon")
    db.session.commit()
    seen = project.version
    first = client.post(f"/projects/{project.id}/advisor", htmx=htmx,
                        data={"advisor_id": colleague.id, "version": seen})
    assert first.status_code in (200, 303)
    _switch(auth, manager)
    second = client.post(f"/projects/{project.id}/advisor", htmx=htmx,
                         data={"advisor_id": manager.id, "version": seen})
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and ("<html" in html) is not htmx
    assert CONFLICT in html and "Advisor now: Morgane Le Bihan" in html
    assert f'<option value="{manager.id}" selected>' in html  # the second's choice, kept
    assert db.session.get(Project, project.id).advisor_id == colleague.id


@pytest.mark.parametrize("htmx", [False, True])
def test_removing_a_holder_from_an_old_page_gets_409_with_the_current_holders(
        client, shared, htmx):
    _, holder, project = shared
    seen = project.version
    newcomer = factories.user(name="Loïc Guérin")
    db.session.commit()
    added = client.post(f"/projects/{project.id}/holders", data={"email": newcomer.email})
    assert added.status_code == 303
    response = client.post(f"/projects/{project.id}/holders/{holder.id}/remove", htmx=htmx,
                           data={"confirm": "1", "version": seen})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and ("<html" in html) is not htmx
    assert CONFLICT in html and "The holders now: Anne Briand, Loïc Guérin" in html
    assert db.session.get(ProjectHolder, (project.id, holder.id)) is not None
    fresh = db.session.get(Project, project.id).version
    assert client.post(f"/projects/{project.id}/holders/{holder.id}/remove", htmx=htmx,
                       data={"confirm": "1", "version": fresh}).status_code == (200 if htmx else 303)
    assert db.session.get(ProjectHolder, (project.id, holder.id)) is None


def test_a_change_of_the_project_tells_the_page_its_version_moved_on(client, shared):
    """The page's other forms made from the version before follow (static/js/app.js): the
    user's own changes, one after another, are never refused as conflicts."""
    _, holder, project = shared
    colleague = factories.user(role="advisor", name="Morgane Le Bihan")
    db.session.commit()
    seen = project.version
    changes = [
        (f"/projects/{project.id}/advisor", {"advisor_id": colleague.id, "version": seen}),
        (f"/projects/{project.id}/holders", {"email": "loic@example.org"}),
        (f"/projects/{project.id}/holders/{holder.id}/remove", {"version": seen + 2,
                                                               "confirm": "1"}),
        (f"/projects/{project.id}/edit", factories.complete_idea(save_draft="y",
                                                                 version=seen + 3)),
    ]
    for step, (url, data) in enumerate(changes):
        response = client.post(url, htmx=True, data=data)
        assert response.status_code == 200, url
        events = json.loads(response.headers["HX-Trigger"])
        assert events["project-version"] == {"project": project.id, "from": seen + step,
                                             "to": seen + step + 1}
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'value="{seen + 4}" data-project-version="{project.id}"' in page
    plain = client.post(f"/projects/{project.id}/advisor",
                        data={"advisor_id": "", "version": seen + 4})
    assert plain.status_code == 303 and "HX-Trigger" not in plain.headers


@pytest.mark.parametrize("htmx", [False, True])
def test_a_holder_added_while_a_colleague_changes_the_project_gets_409_not_500(
        client, shared, htmx, monkeypatch):
    """Adding bumps the version of the project loaded at the request's start: a colleague's
    change committed in between makes that UPDATE miss (StaleVersion). The answer is the
    holders as they are now with the typed address kept, not a server error."""
    _, _, project = shared
    from incubator.projects import routes
    from incubator.versions import StaleVersion

    def colleague_was_faster(*args, **kwargs):
        raise StaleVersion()

    monkeypatch.setattr(routes, "add_holder", colleague_was_faster)
    response = client.post(f"/projects/{project.id}/holders", htmx=htmx,
                           data={"email": "loic@example.org", "name": "Loïc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and CONFLICT in html
    assert 'value="loic@example.org"' in html


def test_a_prebuilt_versioned_update_refuses_a_column_with_a_search_key():
    """A prebuilt statement cannot compute the search keys ``save_version`` derives (a
    project's title feeds its search text): building one for such a column fails at once."""
    from incubator.versions import versioned_update

    with pytest.raises(ValueError, match="search keys"):
        versioned_update(Project, ("title",))
    assert versioned_update(Project, ("stage_id", "position")) is not None
