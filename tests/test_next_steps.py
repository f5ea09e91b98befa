"""Next steps: adding them, ticking them done in place, who may do what, the page of one's
own steps, the counts on board cards, and the assignee's notification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from incubator.extensions import db
from incubator.models import NextStep, NextStepChange, Notification, OutgoingMail, utcnow
from incubator.next_steps import services
from incubator.next_steps.queries import today
from incubator.notifications.services import NEXT_STEP_ASSIGNED

from . import factories
from .helpers import count_statements

# The version of a project the factory just submitted (written, then submitted).
V = factories.SUBMITTED_VERSION


def step(project, assignee, *, title="Envoyer le budget prévisionnel", days=7, done=False,
         by=None) -> NextStep:
    item = NextStep(project_id=project.id, title=title, due_on=today() + timedelta(days=days),
                    assignee_id=assignee.id if assignee else None,
                    created_by_id=by.id if by else None)
    db.session.add(item)
    db.session.flush()
    if done:  # through the service, so the timeline's history has the tick
        services.mark_done(project, item, by or assignee)
    return item


def form(assignee, **overrides) -> dict:
    data = {"title": "Appeler la mairie de Pipriac",
            "due_on": (today() + timedelta(days=10)).isoformat(),
            "assignee_id": str(assignee.id)}
    data.update(overrides)
    return data


# Adding ------------------------------------------------------------------------------------

def test_staff_see_the_form_with_the_project_people_as_assignees(client, login):
    me = login("advisor", name="Yann Le Goff")
    colleague = factories.user(role="manager", name="Sophie Maillard")
    factories.user(role="advisor", name="Parti Ailleurs", active=False)
    holder = factories.user(name="Anne Briand")
    other_holder = factories.user(name="Autre Porteuse")
    factories.project(holders=[other_holder])
    project = factories.project(holders=[holder], advisor=colleague)
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    section = html[html.index(f'id="next-steps-project-{project.id}"'):]
    assert 'type="date"' in section and 'name="title"' in section
    select_html = section[section.index('id="next-step-assignee"'):].split("</select>")[0]
    assert "Sophie Maillard (advisor)" in select_html
    assert "Anne Briand (holder)" in select_html
    assert f'<option selected value="{me.id}">' in select_html
    assert "Parti Ailleurs" not in select_html and "Autre Porteuse" not in select_html


def test_an_advisor_adds_a_next_step_and_is_sent_back_to_the_project(client, login):
    me = login("advisor")
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps", data=form(me))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/projects/{project.id}#next-steps-project-{project.id}")
    added = db.session.scalars(select(NextStep)).one()
    assert (added.title, added.assignee_id, added.created_by_id, added.done_at) == (
        "Appeler la mairie de Pipriac", me.id, me.id, None)
    assert added.due_on == today() + timedelta(days=10)
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Next step added: Appeler la mairie de Pipriac." in html
    assert f'id="next-step-{added.id}"' in html


def test_an_htmx_add_answers_with_the_section_and_a_fresh_form(client, login):
    me = login("advisor")
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps", data=form(me), htmx=True)
    html = response.get_data(as_text=True)
    added = db.session.scalars(select(NextStep)).one()
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<section id="next-steps-project-{project.id}"')
    assert f'id="next-step-{added.id}"' in html
    assert "1 open next step" in html
    assert 'value="Appeler la mairie de Pipriac"' not in html  # the form is empty again


def test_an_invalid_step_comes_back_with_its_errors(client, login):
    me = login("advisor")
    project = factories.project()
    db.session.commit()
    url = f"/projects/{project.id}/next-steps"
    response = client.post(url, data=form(me, title="", due_on=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say what is to be done." in html and "Choose the date it is due." in html
    assert "hx-post" not in html.split('class="next-step-form"')[1].split(">")[0]
    response = client.post(url, data=form(me, title="x" * 201, due_on="31/02/2025"), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith(f'<section id="next-steps-project-{project.id}"')
    assert "At most 200 characters." in html and "Enter a date" in html
    stranger = factories.user(role="holder")
    db.session.commit()
    response = client.post(url, data=form(stranger), htmx=True)
    assert response.status_code == 422 and "Choose one of the options offered" in response.get_data(as_text=True)
    assert db.session.scalars(select(NextStep)).all() == []


def test_adding_needs_the_csrf_token(client, login):
    me = login("advisor")
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps", data=form(me), csrf=False)
    assert response.status_code == 400
    assert db.session.scalars(select(NextStep)).all() == []


def test_the_assignee_is_notified_in_the_app_and_by_mail(client, login):
    login("advisor", name="Yann Le Goff")
    holder = factories.user(name="Anne Briand", email="anne@example.org")
    project = factories.project(holders=[holder], title="Épicerie vrac")
    db.session.commit()
    assert client.post(f"/projects/{project.id}/next-steps",
                       data=form(holder)).status_code == 303
    notification = db.session.scalars(select(Notification)).one()
    assert (notification.user_id, notification.kind, notification.project_id) == (
        holder.id, NEXT_STEP_ASSIGNED, project.id)
    assert notification.detail["step"] == "Appeler la mairie de Pipriac"
    mail = db.session.scalars(select(OutgoingMail)).one()
    assert mail.to == "anne@example.org"
    assert "Appeler la mairie de Pipriac" in mail.body and "Épicerie vrac" in mail.body


def test_no_one_is_notified_of_a_step_they_gave_themselves(client, login):
    me = login("advisor")
    project = factories.project()
    db.session.commit()
    client.post(f"/projects/{project.id}/next-steps", data=form(me))
    assert db.session.scalars(select(Notification)).all() == []
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_adding_a_step_counts_as_activity_without_touching_the_version(client, login):
    me = login("advisor")
    project = factories.project(days_in_stage=60)
    db.session.commit()
    client.post(f"/projects/{project.id}/next-steps", data=form(me))
    db.session.refresh(project)
    assert utcnow() - project.last_activity_at < timedelta(minutes=1)
    assert project.version == V


# Ticking done and undoing ---------------------------------------------------------------

def test_ticking_a_step_done_without_javascript_comes_back_to_the_project(client, login):
    me = login("advisor")
    project = factories.project()
    item = step(project, me)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps/{item.id}/done")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/projects/{project.id}#next-steps-project-{project.id}")
    db.session.refresh(item)
    assert item.done_at is not None and item.done_by_id == me.id
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Done: Envoyer le budget prévisionnel." in html
    assert "0 open next steps" in html and "Recently done" in html


def test_ticking_a_step_done_with_htmx_answers_with_the_step_and_the_counters(client, login):
    me = login("advisor")
    project = factories.project()
    item = step(project, me)
    step(project, me, title="En retard", days=-3)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps/{item.id}/done", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<li class="next-step done" id="next-step-{item.id}"')
    assert 'aria-checked="true"' in html
    assert f'action="/projects/{project.id}/next-steps/{item.id}/undo"' in html
    assert (f'<p class="step-counters" id="next-steps-counters-project-{project.id}" '
            'hx-swap-oob="true">') in html
    assert "1 open next step" in html and "1 overdue" in html


def test_staff_reopen_a_done_step(client, login):
    me = login("advisor")
    project = factories.project()
    item = step(project, me, done=True)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps/{item.id}/undo", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<li class="next-step" id="next-step-{item.id}"')
    assert 'aria-checked="false"' in html and "1 open next step" in html
    db.session.refresh(item)
    assert item.done_at is None and item.done_by_id is None
    item_2 = step(project, me, title="Encore", done=True)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps/{item_2.id}/undo")
    assert response.status_code == 303
    db.session.refresh(item_2)
    assert item_2.done_at is None


def test_ticking_twice_keeps_the_first_tick(client, login):
    me = login("advisor")
    project = factories.project()
    other = factories.user(role="advisor")
    item = step(project, me, done=True, by=other)
    first = item.done_at
    db.session.commit()
    assert client.post(f"/projects/{project.id}/next-steps/{item.id}/done").status_code == 303
    db.session.refresh(item)
    assert (item.done_at, item.done_by_id) == (first, other.id)


@pytest.mark.parametrize("first", ["done", "reopened"])
def test_two_ticks_sent_at_once_record_one_change(client, login, first):
    """A double click without JavaScript sends two requests that both read the step before
    either writes: the second must not record the tick (or the reopening) a second time."""
    me = login("advisor")
    project = factories.project()
    item = step(project, me, done=first == "reopened")
    db.session.commit()
    # The other request read the step as it was; this one wrote meanwhile (no ORM sync).
    db.session.execute(update(NextStep).where(NextStep.id == item.id).values(
        done_at=utcnow() if first == "done" else None)
        .execution_options(synchronize_session=False))
    if first == "done":
        assert services.mark_done(project, item, me) is False
    else:
        assert services.reopen(item, me) is False
    db.session.commit()
    kinds = db.session.scalars(select(NextStepChange.kind).where(
        NextStepChange.step_id == item.id)).all()
    assert kinds == ([] if first == "done" else ["done"])


def test_overdue_steps_stand_out_with_a_word_not_only_a_colour(client, login):
    me = login("advisor")
    project = factories.project()
    late = step(project, me, title="En retard", days=-2)
    soon = step(project, me, title="Bientôt", days=0)
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    late_html = html.split(f'id="next-step-{late.id}"')[1].split("</li>")[0]
    soon_html = html.split(f'id="next-step-{soon.id}"')[1].split("</li>")[0]
    assert f'<li class="next-step overdue" id="next-step-{late.id}"' in html
    assert ">overdue<" in late_html and ">overdue<" not in soon_html
    assert "2 open next steps" in html and "1 overdue" in html


def test_the_project_page_lists_open_steps_soonest_first_then_the_done_ones(client, login):
    me = login("advisor")
    project = factories.project()
    later = step(project, me, title="Plus tard", days=20)
    done = step(project, me, title="Déjà fait", days=-10, done=True)
    sooner = step(project, me, title="Plus tôt", days=1)
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    places = [html.index(f'id="next-step-{s.id}"') for s in (sooner, later, done)]
    assert places == sorted(places)


def test_a_done_step_is_in_the_timeline_with_who_did_it(client, login):
    login("advisor")
    doer = factories.user(role="advisor", name="Sophie Maillard")
    project = factories.project()
    step(project, doer, title="Visiter le local", done=True)
    step(project, doer, title="Pas encore")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    timeline = html[html.index(f'id="timeline-project-{project.id}"'):]
    assert "Next step done: Visiter le local" in timeline and "Sophie Maillard" in timeline
    assert "Pas encore" not in timeline


def test_the_project_page_costs_the_same_statements_with_1_or_30_steps(client, login):
    me = login("advisor")
    holder = factories.user()
    project = factories.project(holders=[holder])
    step(project, me)
    step(project, holder, done=True)
    db.session.commit()

    def render() -> int:
        with count_statements() as statements:
            assert client.get(f"/projects/{project.id}").status_code == 200
        return len(statements)

    small = render()
    for i in range(30):
        step(project, holder if i % 2 else me, title=f"Étape {i}", days=i - 10, done=i % 3 == 0)
    db.session.commit()
    assert render() == small


# Who may do what ----------------------------------------------------------------------------

def test_holders_read_their_project_steps_and_tick_only_their_own(client, login):
    me = login("holder")
    advisor = factories.user(role="advisor")
    project = factories.project(holders=[me], advisor=advisor)
    mine = step(project, me, title="Mon étape")
    theirs = step(project, advisor, title="Étape du pôle")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Mon étape" in html and "Étape du pôle" in html
    assert f'action="/projects/{project.id}/next-steps"' not in html  # no add form
    assert f"/next-steps/{mine.id}/done" in html
    assert f"/next-steps/{theirs.id}/done" not in html
    base = f"/projects/{project.id}/next-steps"
    assert client.post(f"{base}/{theirs.id}/done").status_code == 403
    assert client.post(f"{base}/{theirs.id}/done", htmx=True).status_code == 403
    assert client.post(base, data=form(me)).status_code == 403
    assert client.post(base, data=form(me), htmx=True).status_code == 403
    response = client.post(f"{base}/{mine.id}/done", htmx=True)
    assert response.status_code == 200 and 'aria-checked="true"' in response.get_data(as_text=True)
    assert client.post(f"{base}/{mine.id}/undo").status_code == 303
    db.session.refresh(theirs)
    db.session.refresh(mine)
    assert theirs.done_at is None and mine.done_at is None
    assert len(db.session.scalars(select(NextStep)).all()) == 2


def test_a_holder_of_another_project_gets_404_everywhere(client, login):
    login("holder")
    stranger_project = factories.project(holders=[factories.user()])
    item = step(stranger_project, factories.user(role="advisor"))
    db.session.commit()
    base = f"/projects/{stranger_project.id}/next-steps"
    for htmx in (False, True):
        assert client.post(base, data={"title": "x"}, htmx=htmx).status_code == 404
        assert client.post(f"{base}/{item.id}/done", htmx=htmx).status_code == 404
        assert client.post(f"{base}/{item.id}/undo", htmx=htmx).status_code == 404


def test_a_step_of_another_project_is_not_found(client, login):
    me = login("advisor")
    project = factories.project()
    elsewhere = step(factories.project(), me)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps/{elsewhere.id}/done")
    assert response.status_code == 404
    assert client.post(f"/projects/{project.id}/next-steps/999/done").status_code == 404
    db.session.refresh(elsewhere)
    assert elsewhere.done_at is None


def test_mentors_get_404(client, login):
    login("mentor")
    advisor = factories.user(role="advisor")
    project = factories.project(holders=[factories.user()])
    item = step(project, advisor)
    db.session.commit()
    base = f"/projects/{project.id}/next-steps"
    for htmx in (False, True):
        assert client.post(base, data={"title": "x"}, htmx=htmx).status_code == 404
        assert client.post(f"{base}/{item.id}/done", htmx=htmx).status_code == 404
        assert client.post(f"{base}/{item.id}/undo", htmx=htmx).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    advisor = factories.user(role="advisor")
    project = factories.project()
    item = step(project, advisor)
    db.session.commit()
    base = f"/projects/{project.id}/next-steps"
    for response in (client.get("/next-steps"), client.post(base),
                     client.post(f"{base}/{item.id}/done"),
                     client.post(f"{base}/{item.id}/undo")):
        assert response.status_code == 302
        assert "/auth/login?next=" in response.headers["Location"]
    db.session.refresh(item)
    assert item.done_at is None


def test_staff_tick_and_reopen_any_step(client, login):
    login("manager")
    other = factories.user(role="advisor")
    holder = factories.user()
    project = factories.project(holders=[holder])
    items = [step(project, other), step(project, holder), step(project, None)]
    db.session.commit()
    for item in items:
        url = f"/projects/{project.id}/next-steps/{item.id}"
        assert client.post(f"{url}/done", htmx=True).status_code == 200
        db.session.refresh(item)
        assert item.done_at is not None
        assert client.post(f"{url}/undo").status_code == 303
        db.session.refresh(item)
        assert item.done_at is None


# My next steps ------------------------------------------------------------------------------

def test_my_next_steps_lists_my_open_steps_soonest_first(client, login):
    me = login("advisor")
    colleague = factories.user(role="advisor")
    first = factories.project(title="Garage solidaire")
    second = factories.project(title="Gîte de groupe")
    later = step(first, me, title="Plus tard", days=12)
    late = step(second, me, title="En retard", days=-1)
    today_step = step(first, me, title="Ce jour", days=0)
    step(first, me, title="Déjà fait", done=True)
    step(second, colleague, title="Celle de Sophie")
    db.session.commit()
    response = client.get("/next-steps")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    places = [html.index(f'id="next-step-{s.id}"') for s in (late, today_step, later)]
    assert places == sorted(places)
    assert "Déjà fait" not in html and "Celle de Sophie" not in html
    late_html = html.split(f'id="next-step-{late.id}"')[1].split("</li>")[0]
    assert ">overdue<" in late_html and "Gîte de groupe" in late_html
    assert f'href="/projects/{second.id}"' in late_html
    assert 'name="view" value="mine"' in late_html
    later_html = html.split(f'id="next-step-{later.id}"')[1].split("</li>")[0]
    assert ">overdue<" not in later_html
    assert "3 open next steps" in html and "1 overdue" in html
    assert 'aria-current="page">Next steps<' in html


def test_a_holder_sees_only_steps_of_projects_they_still_hold(client, login):
    me = login("holder")
    project = factories.project(holders=[me], title="Mon projet")
    left = factories.project(holders=[factories.user()], title="Projet quitté")
    step(project, me, title="À moi")
    step(left, me, title="Ancienne étape")
    step(project, factories.user(role="advisor"), title="Pour le pôle")
    db.session.commit()
    html = client.get("/next-steps").get_data(as_text=True)
    assert "À moi" in html
    assert "Ancienne étape" not in html and "Pour le pôle" not in html
    assert "1 open next step" in html


def test_my_next_steps_says_so_when_there_is_none(client, login):
    login("holder")
    html = client.get("/next-steps").get_data(as_text=True)
    assert "You have no open next step." in html


def test_my_next_steps_are_paginated_by_50(client, login):
    me = login("advisor")
    project = factories.project()
    for i in range(55):
        step(project, me, title=f"Étape {i:02d}", days=i)
    db.session.commit()
    first = client.get("/next-steps").get_data(as_text=True)
    assert first.count('<li class="next-step') == 50 and "Page 1 of 2" in first
    assert "55 open next steps" in first
    second = client.get("/next-steps?page=2").get_data(as_text=True)
    assert second.count('<li class="next-step') == 5 and "Étape 54" in second


def test_ticking_from_my_next_steps_answers_for_that_page(client, login):
    me = login("holder")
    project = factories.project(holders=[me], title="Mon projet")
    item = step(project, me, title="À moi")
    step(project, me, title="Autre", days=-1)
    db.session.commit()
    url = f"/projects/{project.id}/next-steps/{item.id}/done"
    response = client.post(url, htmx=True, data={"view": "mine"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<li class="next-step done" id="next-step-{item.id}"')
    assert "Mon projet" in html and 'name="view" value="mine"' in html
    assert '<p class="step-counters" id="my-next-steps-counters" hx-swap-oob="true">' in html
    assert "1 open next step" in html and "1 overdue" in html
    response = client.post(f"/projects/{project.id}/next-steps/{item.id}/undo",
                           data={"view": "mine", "next": "/next-steps?page=1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/next-steps?page=1")
    response = client.post(url, data={"view": "mine", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/next-steps")


# Board cards ------------------------------------------------------------------------------------

def _card(html: str, project) -> str:
    return html.split(f'id="project-{project.id}"')[1].split("</li>")[0]


def test_board_cards_show_open_and_overdue_next_steps(client, login):
    me = login("advisor")
    busy = factories.project(title="Occupé")
    calm = factories.project(title="Tranquille")
    quiet = factories.project(title="Sans étape")
    step(busy, me, days=-1)
    step(busy, me, days=3)
    step(busy, me, done=True, days=-5)
    step(calm, me, days=3)
    step(quiet, me, done=True)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    busy_card = _card(html, busy)
    assert "2 next steps" in busy_card
    assert '<strong class="steps-overdue">1 overdue</strong>' in busy_card
    assert "1 next step" in _card(html, calm) and "overdue" not in _card(html, calm)
    assert "next step" not in _card(html, quiet)


def test_load_more_the_poll_and_a_move_show_the_counts(app, client, login):
    me = login("advisor")
    app.config["BOARD_COLUMN_CARDS"] = 1
    first = factories.project(title="Premier")
    second = factories.project(title="Second")
    step(first, me)
    step(second, me, days=-1)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    assert "Second" not in html
    token = html.split('id="board-token" name="token" value="')[1].split('"')[0]
    more = client.get(f"/board/stages/{factories.stage(1).id}?after={first.position}",
                      htmx=True).get_data(as_text=True)
    assert "1 next step" in _card(more, second) and "1 overdue" in _card(more, second)
    first.version += 1  # someone changed the card: the poll sends its column again
    db.session.commit()
    polled = client.get(f"/board/changes?token={token}", htmx=True).get_data(as_text=True)
    assert "1 next step" in _card(polled, first)
    response = client.post(f"/projects/{first.id}/move", htmx=True, data={
        "stage_id": factories.stage(2).id, "version": first.version, "after_id": 0,
        f"last-{factories.stage(2).id}": "all"})
    assert response.status_code == 200
    assert "1 next step" in _card(response.get_data(as_text=True), first)
    assert len(response.data) < 4096


def test_the_board_counts_steps_in_one_query_whatever_the_cards(client, login):
    me = login("advisor")
    db.session.commit()

    def render() -> int:
        with count_statements() as statements:
            assert client.get("/board").status_code == 200
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            project = factories.project(stage_position=i % 5 + 1)
            step(project, me, days=i % 3 - 1)
        db.session.commit()

    add(10)
    small = render()
    add(200)
    assert render() == small
