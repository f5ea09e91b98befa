"""Working groups (issue 11): the list, create / edit / archive / delete, participants and the
project's timeline, meetings in the pole's time zone, attendance, the iCalendar file, the
project and member pages' sections, who may do what, hostile text and statement counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.groups import services
from incubator.members.services import create_organisation, links_of
from incubator.models import (
    GroupMeeting,
    GroupOrganisation,
    GroupProject,
    MeetingAttendance,
    OrganisationContact,
    ProjectEvent,
    WorkingGroup,
    utcnow,
)
from incubator.versions import StaleVersion

from . import factories
from .helpers import count_statements

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
HOSTILE = "<script>alert(1)</script>, ; \\ Réunion\r\nBEGIN:VEVENT\nX: « test »"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _group(name: str = "Éco-construction", **fields) -> WorkingGroup:
    values = {"kind": "working_group", "theme": "Éco-construction",
              "description": "Chantiers participatifs."}
    values.update(fields)
    group = services.create_group(None, name=name, **values)
    db.session.commit()
    return group


def _organisation(name: str = "SCOP Bâti Sain", **fields):
    values = {"family": "cooperative", "commune": "Malansac", "is_member": True,
              "contacts": ({"name": "Hervé Guillotin", "role": "Gérant"},)}
    values.update(fields)
    organisation = create_organisation(None, name=name, **values)
    db.session.commit()
    return organisation


def _meeting(group, starts_at=None, **fields) -> GroupMeeting:
    meeting = services.create_meeting(
        None, group, starts_at=starts_at or utcnow() + timedelta(days=7), **fields)
    db.session.commit()
    return meeting


def _token(client, url: str) -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def _headers(htmx: bool) -> dict:
    return {"HX-Request": "true"} if htmx else {}


def _redirected(response, htmx: bool, to: str) -> None:
    if htmx:
        assert response.status_code == 204
        assert response.headers["HX-Redirect"].startswith(to)
    else:
        assert response.status_code == 303
        assert response.headers["Location"].split("#")[0].endswith(to.split("#")[0])


# Who may see what ------------------------------------------------------------------------


def _urls(group, meeting) -> list[str]:
    return [
        "/groups", "/groups/new", f"/groups/{group.id}", f"/groups/{group.id}/edit",
        f"/groups/{group.id}/participants?q=a", f"/groups/{group.id}/meetings/new",
        f"/groups/{group.id}/meetings/{meeting.id}",
        f"/groups/{group.id}/meetings/{meeting.id}/edit", f"/groups/{group.id}/calendar.ics",
    ]


def _posts(group, meeting, organisation, project) -> list[str]:
    g, m = group.id, meeting.id
    return [
        "/groups/new", f"/groups/{g}/edit", f"/groups/{g}/archive", f"/groups/{g}/delete",
        f"/groups/{g}/organisations", f"/groups/{g}/projects",
        f"/groups/{g}/organisations/{organisation.id}/remove",
        f"/groups/{g}/projects/{project.id}/remove", f"/groups/{g}/meetings/new",
        f"/groups/{g}/meetings/{m}/edit", f"/groups/{g}/meetings/{m}/cancel",
        f"/groups/{g}/meetings/{m}/delete", f"/groups/{g}/meetings/{m}/attendance",
        f"/groups/{g}/meetings/{m}/attendance/1/delete",
    ]


@pytest.mark.parametrize("role, status", [("advisor", 200), ("manager", 200),
                                          ("mentor", 403), ("holder", 403)])
def test_every_group_page_is_for_staff_only(client, login, role, status):
    group = _group()
    meeting = _meeting(group)
    login(role)
    for url in _urls(group, meeting):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize("role", ["mentor", "holder"])
def test_holders_and_mentors_change_nothing(client, login, role):
    group = _group()
    meeting = _meeting(group)
    organisation = _organisation()
    project = factories.project()
    db.session.commit()
    login(role)
    for url in _posts(group, meeting, organisation, project):
        assert client.post(url, data={"confirm": "1", "version": "1"}).status_code == 403, url
    assert _count(WorkingGroup) == 1 and _count(GroupMeeting) == 1


def test_a_visitor_is_sent_to_log_in(client, app):
    group = _group()
    meeting = _meeting(group)
    for url in _urls(group, meeting):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = client.post(f"/groups/{group.id}/delete", data={"confirm": "1"})
    assert response.status_code == 302
    assert _count(WorkingGroup) == 1


def test_the_nav_links_to_groups_for_staff_only(client, login):
    login("advisor")
    assert 'href="/groups"' in client.get("/board").get_data(as_text=True)


def test_the_nav_hides_groups_from_holders(client, login):
    login("holder")
    assert 'href="/groups"' not in client.get("/projects/mine").get_data(as_text=True)


# The list ----------------------------------------------------------------------------------


def test_the_list_searches_without_accents_and_filters_by_kind_and_archived(client, login):
    login("advisor")
    _group("Éco-construction")
    workshop = _group("Atelier coopératif de la restauration bio", kind="workshop",
                      theme="Restauration bio hors domicile")
    archived = _group("Hébergement de groupe")
    services.set_archived(archived, True, archived.version)
    db.session.commit()
    html = client.get("/groups").get_data(as_text=True)
    assert "Éco-construction" in html and "Atelier coopératif" in html
    assert "Hébergement de groupe" not in html and "2 groups" in html
    html = client.get("/groups?q=ECO-CONSTRUCTION").get_data(as_text=True)
    assert "Éco-construction" in html and "Atelier coopératif" not in html
    html = client.get("/groups?q=restauration").get_data(as_text=True)
    assert "Atelier coopératif" in html and "1 group" in html
    html = client.get("/groups?kind=workshop").get_data(as_text=True)
    assert "Atelier coopératif" in html and "Éco-construction" not in html
    html = client.get("/groups?archived=1&q=hebergement").get_data(as_text=True)
    assert "Hébergement de groupe" in html and "Archived" in html
    assert f'id="working-group-{workshop.id}"' in client.get("/groups").get_data(as_text=True)


def test_the_list_answers_htmx_with_its_results_only(client, login):
    login("advisor")
    _group()
    response = client.get("/groups?q=eco", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<section id="group-results"') and "<html" not in html
    page = client.get("/groups?q=eco")
    assert "<html" in page.get_data(as_text=True) and "HX-Request" in page.vary


def test_the_list_shows_next_meeting_and_counts(client, login, team):
    login("advisor")
    group = _group()
    _meeting(group, utcnow() - timedelta(days=3), place="Ancienne salle")
    cancelled = _meeting(group, utcnow() + timedelta(days=2), place="Salle annulée")
    services.set_cancelled(cancelled, True, cancelled.version)
    _meeting(group, utcnow() + timedelta(days=9), place="Salle du Parc, Redon")
    _meeting(group, utcnow() + timedelta(days=30), place="Plus tard")
    services.add_organisation(None, group, _organisation(), date(2025, 1, 6))
    services.add_project(None, group, team.project, date(2025, 1, 6))
    db.session.commit()
    html = client.get("/groups").get_data(as_text=True)
    assert "Salle du Parc, Redon" in html
    assert "Salle annulée" not in html and "Plus tard" not in html
    assert "1 organisation" in html and "1 project" in html


def test_the_list_paginates_and_costs_a_fixed_number_of_statements(client, login):
    login("advisor")

    def render(url="/groups") -> int:
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            group = services.create_group(None, name=f"Groupe {i:03}", kind="working_group")
            services.create_meeting(None, group, starts_at=utcnow() + timedelta(days=i + 1))
            services.add_organisation(None, group, organisation, date(2025, 1, 6))
        db.session.commit()

    organisation = _organisation()
    add(2, 0)
    few = render()
    add(30, 2)
    assert render() == few
    html = client.get("/groups?page=2").get_data(as_text=True)
    assert "Groupe 031" in html and "Page 2 of 2" in html
    assert "Groupe 031" in client.get("/groups?page=99").get_data(as_text=True)


def test_the_group_page_costs_a_fixed_number_of_statements(client, login):
    login("advisor")
    group = _group()

    def render() -> int:
        with count_statements() as statements:
            assert client.get(f"/groups/{group.id}").status_code == 200
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            organisation = create_organisation(None, name=f"Org {i}", family="association")
            services.add_organisation(None, group, organisation, date(2025, 1, 6))
            project = factories.project(title=f"Projet {i}")
            services.add_project(None, group, project, date(2025, 1, 6))
            meeting = services.create_meeting(
                None, group, starts_at=utcnow() + timedelta(days=(i - 5) * 7), minutes="CR")
            services.record_attendance(meeting, name=f"Personne {i}", status="present")
        db.session.commit()

    add(1, 0)
    few = render()
    add(8, 1)
    assert render() == few


# Create, edit, archive, delete -------------------------------------------------------------


def _form(**fields) -> dict:
    values = {"name": "Services à la personne", "kind": "working_group",
              "theme": "Services à la personne", "description": "Aide à domicile."}
    values.update(fields)
    return values


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_create_a_group_once(client, login, htmx):
    login("advisor")
    page = client.get("/groups/new").get_data(as_text=True)
    assert "Éco-construction" in page  # the reference themes are suggested
    token = TOKEN.search(page).group(1)
    response = client.post("/groups/new", data=_form(form_token=token), headers=_headers(htmx))
    group = db.session.scalars(select(WorkingGroup)).one()
    _redirected(response, htmx, f"/groups/{group.id}")
    assert group.name_key == "services a la personne" and group.kind == "working_group"
    again = client.post("/groups/new", data=_form(form_token=token), headers=_headers(htmx))
    _redirected(again, htmx, f"/groups/{group.id}")
    assert _count(WorkingGroup) == 1


def test_an_invalid_group_comes_back_with_errors_and_input(client, login):
    login("advisor")
    response = client.post("/groups/new", data=_form(name="", kind="nope",
                                                     description="Gardé ici"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the group a name." in html and "Gardé ici" in html
    assert _count(WorkingGroup) == 0
    response = client.post("/groups/new", data=_form(name="Deux\nlignes"))
    assert response.status_code == 422 and _count(WorkingGroup) == 0


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200d\ufeff", " \u2060 "])
def test_a_group_or_attendance_named_with_invisible_characters_only_is_refused(
        client, login, invisible):
    login("advisor")
    response = client.post("/groups/new", data=_form(name=invisible))
    assert response.status_code == 422
    assert "Give the group a name." in response.get_data(as_text=True)
    assert _count(WorkingGroup) == 0
    group = _group()
    meeting = _meeting(group)
    response = client.post(f"/groups/{group.id}/meetings/{meeting.id}/attendance",
                           data={"person": "", "name": invisible, "status": "present"})
    assert response.status_code == 422 and _count(MeetingAttendance) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_edit_a_group_and_a_stale_edit_is_409_with_input_kept(client, login, htmx):
    login("advisor")
    group = _group()
    assert 'value="1"' in client.get(f"/groups/{group.id}/edit").get_data(as_text=True)
    response = client.post(f"/groups/{group.id}/edit", headers=_headers(htmx),
                           data=_form(name="Éco-construction et habitat", version=1))
    _redirected(response, htmx, f"/groups/{group.id}")
    db.session.expire_all()
    assert group.name == "Éco-construction et habitat" and group.version == 2
    stale = client.post(f"/groups/{group.id}/edit", headers=_headers(htmx),
                        data=_form(name="Mon autre nom", version=1))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Mon autre nom" in html and "Someone changed this" in html
    db.session.expire_all()
    assert group.name == "Éco-construction et habitat"
    missing = client.post(f"/groups/{group.id}/edit", data=_form(name="Sans version"))
    assert missing.status_code == 409


@pytest.mark.parametrize("htmx", [False, True])
def test_archive_asks_first_then_archives_and_brings_back(client, login, htmx):
    login("advisor")
    group = _group()
    url = f"/groups/{group.id}/archive"
    asked = client.post(url, data={"archived": "1", "version": "1"}, headers=_headers(htmx))
    assert asked.status_code == 200 and "Archive" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert not group.is_archived
    stale = client.post(url, data={"archived": "1", "version": "7", "confirm": "1"})
    assert stale.status_code == 409
    done = client.post(url, data={"archived": "1", "version": "1", "confirm": "1"},
                       headers=_headers(htmx))
    _redirected(done, htmx, f"/groups/{group.id}")
    db.session.expire_all()
    assert group.is_archived
    back = client.post(url, data={"archived": "0", "version": "2", "confirm": "1"})
    assert back.status_code == 303
    db.session.expire_all()
    assert not group.is_archived


@pytest.mark.parametrize("htmx", [False, True])
def test_a_group_with_meetings_or_participants_cannot_be_deleted(client, login, team, htmx):
    login("advisor")
    group = _group()
    _meeting(group)
    services.add_project(None, group, team.project, date(2025, 1, 6))
    db.session.commit()
    response = client.post(f"/groups/{group.id}/delete", headers=_headers(htmx),
                           data={"confirm": "1", "version": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "cannot be deleted" in html and "1 meeting" in html and "Archive it instead" in html
    assert _count(WorkingGroup) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_an_empty_group_is_deleted_after_confirmation(client, login, htmx):
    login("advisor")
    group = _group()
    url = f"/groups/{group.id}/delete"
    assert client.post(url, data={"version": "1"}).status_code == 200
    assert _count(WorkingGroup) == 1
    assert client.post(url, data={"version": "5", "confirm": "1"}).status_code == 409
    response = client.post(url, data={"version": "1", "confirm": "1"}, headers=_headers(htmx))
    _redirected(response, htmx, "/groups")
    assert _count(WorkingGroup) == 0


def test_unknown_groups_are_404(client, login):
    login("advisor")
    assert client.get("/groups/999").status_code == 404
    assert client.post("/groups/999/delete", data={"confirm": "1"}).status_code == 404
    assert client.get("/groups/999/calendar.ics").status_code == 404


# Participants ------------------------------------------------------------------------------


def test_the_participant_search_finds_organisations_and_projects_not_yet_in(client, login,
                                                                               team):
    login("advisor")
    group = _group()
    inside = _organisation("Coopérative Oust et Vilaine Énergies")
    _organisation("Ressourcerie de la Vilaine")
    _organisation("Archivée de la Vilaine", archived_at=utcnow())
    closed = factories.project(title="Vilaine fermé", status="closed")
    factories.project(title="Vilaine en cours")
    services.add_organisation(None, group, inside, date(2025, 1, 6))
    db.session.commit()
    page = client.get(f"/groups/{group.id}/participants?q=vilaine")
    html = page.get_data(as_text=True)
    assert "<html" in html and "Ressourcerie de la Vilaine" in html
    assert "Coopérative Oust" not in html and "Archivée" not in html
    assert "Vilaine en cours" in html and closed.title not in html
    fragment = client.get(f"/groups/{group.id}/participants?q=vilaine", htmx=True)
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="group-candidates"') and "<html" not in text
    assert "HX-Request" in fragment.vary


@pytest.mark.parametrize("htmx", [False, True])
def test_a_project_joins_and_leaves_on_its_timeline(client, login, team, htmx):
    advisor = login("advisor")
    group = _group("Services à la personne")
    url = f"/groups/{group.id}/projects"
    response = client.post(url, headers=_headers(htmx),
                           data={"project_id": team.project.id, "joined_on": "2025-03-04"})
    _redirected(response, htmx, f"/groups/{group.id}")
    link = db.session.scalars(select(GroupProject)).one()
    assert link.joined_on == date(2025, 3, 4) and link.added_by_id == advisor.id
    again = client.post(url, data={"project_id": team.project.id, "joined_on": "2025-03-04"})
    assert again.status_code == 422 and "already takes part" in again.get_data(as_text=True)
    remove = f"/groups/{group.id}/projects/{team.project.id}/remove"
    assert client.post(remove).status_code == 200  # asks first
    assert _count(GroupProject) == 1
    response = client.post(remove, data={"confirm": "1"}, headers=_headers(htmx))
    _redirected(response, htmx, f"/groups/{group.id}")
    assert _count(GroupProject) == 0
    events = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind.like("group_%")).order_by(ProjectEvent.id)).all()
    assert [(e.kind, e.detail["group"]) for e in events] == [
        ("group_joined", "Services à la personne"), ("group_left", "Services à la personne")]
    # The timeline keeps the name as it was.
    services.update_group(group, group.version, name="Nouveau nom")
    db.session.commit()
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "The project joined the group Services à la personne" in html
    assert "The project left the group Services à la personne" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_an_organisation_joins_with_its_day_and_leaves(app, client, login, htmx):
    login("advisor")
    group = _group()
    organisation = _organisation()
    response = client.post(f"/groups/{group.id}/organisations", headers=_headers(htmx),
                           data={"organisation_id": organisation.id, "joined_on": "2024-09-01"})
    _redirected(response, htmx, f"/groups/{group.id}")
    html = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "SCOP Bâti Sain" in html and "1 Sept 2024" in html
    assert _count(ProjectEvent, ProjectEvent.kind.like("group_%")) == 0
    member = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert f'href="/groups/{group.id}"' in member
    # Deleting the organisation is refused while it takes part.
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert links_of(organisation) == ["it takes part in 1 working group"]
    response = client.post(f"/groups/{group.id}/organisations/{organisation.id}/remove",
                           data={"confirm": "1"}, headers=_headers(htmx))
    _redirected(response, htmx, f"/groups/{group.id}")
    assert _count(GroupOrganisation) == 0


def test_joining_refuses_archived_closed_unknown_and_bad_dates(client, login):
    login("advisor")
    group = _group()
    archived = _organisation("Vieille asso", archived_at=utcnow())
    closed = factories.project(status="closed")
    db.session.commit()
    url = f"/groups/{group.id}"
    response = client.post(url + "/organisations",
                           data={"organisation_id": archived.id, "joined_on": "2025-01-01"})
    assert response.status_code == 422 and "archived" in response.get_data(as_text=True)
    response = client.post(url + "/projects",
                           data={"project_id": closed.id, "joined_on": "2025-01-01"})
    assert response.status_code == 422
    assert client.post(url + "/projects", data={"project_id": "99999",
                                                "joined_on": "2025-01-01"}).status_code == 404
    assert client.post(url + "/projects", data={"project_id": "x",
                                                "joined_on": "2025-01-01"}).status_code == 404
    response = client.post(url + "/projects", data={"project_id": closed.id,
                                                    "joined_on": "hier"})
    assert response.status_code == 422
    assert _count(GroupProject) == 0 and _count(GroupOrganisation) == 0


# Meetings and the time zone ------------------------------------------------------------------


def test_a_winter_meeting_typed_at_18_30_is_17_30_utc(client, login):
    login("advisor")
    group = _group()
    url = f"/groups/{group.id}/meetings/new"
    token = _token(client, url)
    response = client.post(url, data={"form_token": token, "day": "2026-01-15",
                                      "starts": "18:30", "ends": "20:00",
                                      "place": "Salle Jean Jaurès, Redon",
                                      "agenda": "Point chantiers\nTour de table"})
    assert response.status_code == 303
    meeting = db.session.scalars(select(GroupMeeting)).one()
    assert meeting.starts_at == datetime(2026, 1, 15, 17, 30, tzinfo=UTC)
    assert meeting.ends_at == datetime(2026, 1, 15, 19, 0, tzinfo=UTC)
    assert meeting.uid.endswith("@incubateur") and len(meeting.uid) == 43
    again = client.post(url, data={"form_token": token, "day": "2026-01-15",
                                   "starts": "18:30"})
    assert again.status_code == 303 and _count(GroupMeeting) == 1
    html = client.get(f"/groups/{group.id}/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="18:30"' in html and 'value="20:00"' in html
    page = client.get(f"/groups/{group.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "18:30 – 20:00" in page and "Point chantiers\nTour de table" in page


def test_a_summer_meeting_is_two_hours_ahead_of_utc(client, login):
    login("advisor")
    group = _group()
    client.post(f"/groups/{group.id}/meetings/new",
                data={"day": "2026-07-02", "starts": "09:00"})
    meeting = db.session.scalars(select(GroupMeeting)).one()
    assert meeting.starts_at == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    assert meeting.ends_at is None


def test_a_meeting_ending_before_it_starts_is_refused(app, client, login):
    login("advisor")
    group = _group()
    response = client.post(f"/groups/{group.id}/meetings/new",
                           data={"day": "2026-01-15", "starts": "18:30", "ends": "18:00",
                                 "place": "Gardé"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The end must come after the start." in html and "Gardé" in html
    assert _count(GroupMeeting) == 0
    with app.test_request_context(), pytest.raises(services.GroupError):
        services.create_meeting(None, group, starts_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
                                ends_at=datetime(2026, 1, 1, 9, tzinfo=UTC))


@pytest.mark.parametrize("htmx", [False, True])
def test_a_meeting_is_edited_version_checked(client, login, htmx):
    login("advisor")
    group = _group()
    meeting = _meeting(group, datetime(2026, 1, 15, 17, 30, tzinfo=UTC))
    url = f"/groups/{group.id}/meetings/{meeting.id}/edit"
    data = {"day": "2026-01-15", "starts": "18:30", "place": "Redon",
            "minutes": "Compte rendu : <b>rien</b>", "version": "1"}
    response = client.post(url, data=data, headers=_headers(htmx))
    _redirected(response, htmx, f"/groups/{group.id}/meetings/{meeting.id}")
    db.session.expire_all()
    assert meeting.version == 2 and meeting.minutes.startswith("Compte rendu")
    stale = client.post(url, data={**data, "place": "Ailleurs"}, headers=_headers(htmx))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Ailleurs" in html
    db.session.expire_all()
    assert meeting.place == "Redon"
    page = client.get(f"/groups/{group.id}/meetings/{meeting.id}").get_data(as_text=True)
    assert "<b>rien</b>" not in page and "&lt;b&gt;rien&lt;/b&gt;" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_a_cancelled_meeting_is_kept_struck_and_not_the_next_one(client, login, htmx):
    login("advisor")
    group = _group()
    meeting = _meeting(group, utcnow() + timedelta(days=3), place="Salle A")
    url = f"/groups/{group.id}/meetings/{meeting.id}/cancel"
    assert client.post(url, data={"cancelled": "1", "version": "1"}).status_code == 200
    assert client.post(url, data={"cancelled": "1", "version": "3",
                                  "confirm": "1"}).status_code == 409
    response = client.post(url, data={"cancelled": "1", "version": "1", "confirm": "1"},
                           headers=_headers(htmx))
    _redirected(response, htmx, f"/groups/{group.id}/meetings/{meeting.id}")
    db.session.expire_all()
    assert meeting.cancelled_at is not None and meeting.version == 2
    html = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "No meeting planned." in html and "<s>" in html and "Cancelled" in html
    restored = client.post(url, data={"cancelled": "0", "version": "2", "confirm": "1"})
    assert restored.status_code == 303
    html = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "No meeting planned." not in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_meeting_with_minutes_or_attendance_cannot_be_deleted(client, login, htmx):
    login("advisor")
    group = _group()
    with_minutes = _meeting(group, minutes="Compte rendu")
    with_people = _meeting(group)
    services.record_attendance(with_people, name="Anne", status="present")
    empty = _meeting(group)
    db.session.commit()
    for meeting in (with_minutes, with_people):
        response = client.post(f"/groups/{group.id}/meetings/{meeting.id}/delete",
                               data={"confirm": "1", "version": "1"}, headers=_headers(htmx))
        assert response.status_code == 409
        assert "Cancel it instead" in response.get_data(as_text=True)
    response = client.post(f"/groups/{group.id}/meetings/{empty.id}/delete",
                           data={"confirm": "1", "version": "1"}, headers=_headers(htmx))
    _redirected(response, htmx, f"/groups/{group.id}")
    assert _count(GroupMeeting) == 2


def test_another_groups_meeting_is_404(client, login):
    login("advisor")
    group, other = _group(), _group("Autre")
    meeting = _meeting(other)
    for url in (f"/groups/{group.id}/meetings/{meeting.id}",
                f"/groups/{group.id}/meetings/{meeting.id}/edit"):
        assert client.get(url).status_code == 404
    assert client.post(f"/groups/{group.id}/meetings/{meeting.id}/delete",
                       data={"confirm": "1", "version": "1"}).status_code == 404
    assert client.post(f"/groups/{group.id}/meetings/{meeting.id}/attendance",
                       data={"name": "X", "status": "present"}).status_code == 404


def test_an_archived_group_gets_no_new_meeting(client, login):
    login("advisor")
    group = _group()
    services.set_archived(group, True, group.version)
    db.session.commit()
    assert client.get(f"/groups/{group.id}/meetings/new").status_code == 422
    assert client.post(f"/groups/{group.id}/meetings/new",
                       data={"day": "2026-01-15", "starts": "18:30"}).status_code == 422
    assert _count(GroupMeeting) == 0


# Attendance ------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_attendance_names_people_of_the_group_staff_or_a_free_name(client, login, team, htmx):
    login("advisor")
    group = _group()
    organisation = _organisation()
    services.add_organisation(None, group, organisation, date(2025, 1, 6))
    services.add_project(None, group, team.project, date(2025, 1, 6))
    meeting = _meeting(group)
    db.session.commit()
    page_url = f"/groups/{group.id}/meetings/{meeting.id}"
    html = client.get(page_url).get_data(as_text=True)
    contact_key = re.search(r'value="(c\d+)"', html).group(1)
    holder_key = re.search(r'value="(h\d+-\d+)"', html).group(1)
    staff_key = f"u{team.advisor.id}"
    assert "Hervé Guillotin — SCOP Bâti Sain" in html and staff_key in html
    url = page_url + "/attendance"
    for person, status in ((contact_key, "present"), (holder_key, "excused"),
                           (staff_key, "present")):
        response = client.post(url, data={"person": person, "status": status},
                               headers=_headers(htmx))
        _redirected(response, htmx, page_url)
    response = client.post(url, data={"person": "", "name": "Élise Rault",
                                      "status": "absent"}, headers=_headers(htmx))
    _redirected(response, htmx, page_url)
    # The same person again changes their status, adds no line.
    client.post(url, data={"person": contact_key, "status": "excused"})
    rows = db.session.scalars(select(MeetingAttendance).order_by(MeetingAttendance.id)).all()
    assert [(r.name, r.status) for r in rows] == [
        ("Hervé Guillotin", "excused"), ("Anne Briand", "excused"),
        ("Yann Le Goff", "present"), ("Élise Rault", "absent")]
    assert rows[0].organisation_id == organisation.id
    assert rows[1].project_id == team.project.id and rows[1].user_id == team.holder.id
    # Names are kept as they were.
    team.holder.name = "Anne Briand-Le Goff"
    db.session.commit()
    assert "Anne Briand ·" in client.get(page_url).get_data(as_text=True)
    # Removing one line.
    response = client.post(f"{url}/{rows[3].id}/delete", data={"confirm": "1"},
                           headers=_headers(htmx))
    _redirected(response, htmx, page_url)
    assert _count(MeetingAttendance) == 3


def test_attendance_refuses_a_forged_person_and_an_empty_name(client, login):
    login("advisor")
    group = _group()
    meeting = _meeting(group)
    url = f"/groups/{group.id}/meetings/{meeting.id}/attendance"
    other = _organisation("Ailleurs")
    contact_id = db.session.scalar(select(OrganisationContact.id).where(
        OrganisationContact.organisation_id == other.id))
    response = client.post(url, data={"person": f"c{contact_id}", "status": "present"})
    assert response.status_code == 422
    assert "Choose a person from the list." in response.get_data(as_text=True)
    response = client.post(url, data={"person": "", "name": "", "status": "present"})
    assert response.status_code == 422
    response = client.post(url, data={"person": "", "name": "X", "status": "late"})
    assert response.status_code == 422
    assert _count(MeetingAttendance) == 0


# The calendar ------------------------------------------------------------------------------


def test_the_calendar_has_every_meeting_in_utc_with_uid_sequence_and_status(client, login):
    login("advisor")
    group = _group("Atelier « Bois, terre ; paille »")
    winter = _meeting(group, datetime(2026, 1, 15, 17, 30, tzinfo=UTC),
                      ends_at=datetime(2026, 1, 15, 19, 0, tzinfo=UTC),
                      place="Salle du Parc, Redon", agenda="Point 1\nPoint 2")
    services.update_meeting(winter, 1, place="Salle du Parc, Redon (étage)")
    cancelled = _meeting(group, datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
    services.set_cancelled(cancelled, True, 1)
    db.session.commit()
    response = client.get(f"/groups/{group.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="atelier-bois-terre-paille-{group.id}.ics"'
    assert b"\r\n" in response.data
    calendar = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {winter.uid, cancelled.uid}
    first = events[winter.uid]
    assert first.decoded("dtstart") == datetime(2026, 1, 15, 17, 30, tzinfo=UTC)
    assert first.decoded("dtend") == datetime(2026, 1, 15, 19, 0, tzinfo=UTC)
    assert b"DTSTART:20260115T173000Z" in response.data
    assert str(first["summary"]) == "Atelier « Bois, terre ; paille »"
    assert str(first["location"]) == "Salle du Parc, Redon (étage)"
    assert str(first["description"]) == "Point 1\nPoint 2"
    assert int(first["sequence"]) == 1 and str(first["status"]) == "CONFIRMED"
    assert "dtstamp" in first
    assert str(events[cancelled.uid]["status"]) == "CANCELLED"


def test_hostile_text_stays_text_in_the_calendar_and_the_pages(client, login, team):
    login("advisor")
    name = HOSTILE.replace("\r\n", " ").replace("\n", " ")
    group = _group(name, theme=name, description=HOSTILE)
    meeting = _meeting(group, datetime(2026, 1, 15, 17, 30, tzinfo=UTC), place=name,
                       agenda=HOSTILE, minutes=HOSTILE)
    services.add_project(None, group, team.project, date(2025, 1, 6))
    services.record_attendance(meeting, name=name, status="present")
    db.session.commit()
    data = client.get(f"/groups/{group.id}/calendar.ics").data
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == name
    assert str(event["description"]) == HOSTILE.replace("\r\n", "\n")
    assert data.count(b"\r\nBEGIN:VEVENT\r\n") == 1 and b"\nX:" not in data
    assert b"\\, " in data and b"\\;" in data
    for url in ("/groups", f"/groups/{group.id}", f"/groups/{group.id}/meetings/{meeting.id}",
                f"/groups/{group.id}/edit", f"/projects/{team.project.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html, url
    disposition = client.get(f"/groups/{group.id}/calendar.ics").headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.ics"', disposition)


# The project and member pages ----------------------------------------------------------------


def test_the_project_page_shows_its_groups_and_next_meeting_to_its_holders(client, auth,
                                                                            team):
    group = _group("Services à la personne")
    _meeting(group, utcnow() - timedelta(days=10), place="Passé", minutes="Secret CR")
    _meeting(group, utcnow() + timedelta(days=4), place="Salle des fêtes de Peillac")
    services.add_project(None, group, team.project, date(2025, 1, 6))
    archived = _group("Groupe archivé")
    services.add_project(None, archived, team.project, date(2025, 1, 6))
    services.set_archived(archived, True, archived.version)
    db.session.commit()
    auth.login(team.holder)
    page = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    html = re.search(r'<section id="groups-project-\d+".*?</section>', page, re.S).group(0)
    assert "Services à la personne" in html and "Salle des fêtes de Peillac" in html
    assert "Secret CR" not in page and "Groupe archivé" not in html
    assert f'href="/groups/{group.id}"' not in html  # no link to a staff page
    auth.logout()
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert f'href="/groups/{group.id}"' in html


def test_the_project_page_costs_the_same_whatever_its_groups(client, auth, team):
    auth.login(team.advisor)

    def render() -> int:
        with count_statements() as statements:
            assert client.get(f"/projects/{team.project.id}").status_code == 200
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            group = services.create_group(None, name=f"Groupe {i}", kind="workshop")
            services.create_meeting(None, group, starts_at=utcnow() + timedelta(days=i + 1))
            services.add_project(None, group, team.project, date(2025, 1, 6))
        db.session.commit()

    add(1, 0)
    few = render()
    add(5, 1)
    assert render() == few


def test_the_member_page_costs_the_same_whatever_its_groups(client, login):
    login("advisor")
    organisation = _organisation()

    def render() -> int:
        with count_statements() as statements:
            assert client.get(f"/members/{organisation.id}").status_code == 200
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            group = services.create_group(None, name=f"Groupe {i}", kind="workshop")
            services.create_meeting(None, group, starts_at=utcnow() + timedelta(days=i + 1))
            services.add_organisation(None, group, organisation, date(2025, 1, 6))
        db.session.commit()

    add(1, 0)
    few = render()
    add(5, 1)
    assert render() == few


def test_a_meeting_added_meanwhile_keeps_the_group_from_being_deleted(app, monkeypatch):
    group = _group()
    _meeting(group)
    monkeypatch.setattr(services, "links_of", lambda group: [])  # checked before it came
    with app.test_request_context(), pytest.raises(StaleVersion):
        services.delete_group(group, group.version)
    db.session.rollback()
    assert _count(WorkingGroup) == 1 and _count(GroupMeeting) == 1


def test_removing_an_attendance_line_asks_first_and_twice_is_harmless(client, login):
    login("advisor")
    group = _group()
    meeting = _meeting(group)
    entry = services.record_attendance(meeting, name="Anne", status="present")
    other = services.record_attendance(_meeting(_group("Autre")), name="Bob", status="present")
    db.session.commit()
    entry_id, other_id = entry.id, other.id
    url = f"/groups/{group.id}/meetings/{meeting.id}/attendance"
    assert client.post(f"{url}/{entry_id}/delete").status_code == 200
    assert _count(MeetingAttendance) == 2
    assert client.post(f"{url}/{entry_id}/delete", data={"confirm": "1"}).status_code == 303
    again = client.post(f"{url}/{entry_id}/delete", data={"confirm": "1"},
                        follow_redirects=True)
    assert "This line was already removed." in again.get_data(as_text=True)
    # Another meeting's line is out of reach from this one.
    client.post(f"{url}/{other_id}/delete", data={"confirm": "1"})
    assert _count(MeetingAttendance) == 1


def test_the_meeting_page_costs_a_fixed_number_of_statements(client, login):
    login("advisor")
    group = _group()
    meeting = _meeting(group)

    def render() -> int:
        with count_statements() as statements:
            assert client.get(f"/groups/{group.id}/meetings/{meeting.id}").status_code == 200
        return len(statements)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            organisation = create_organisation(None, name=f"Org {i}", family="association",
                                               contacts=({"name": f"Contact {i}"},))
            services.add_organisation(None, group, organisation, date(2025, 1, 6))
            holder = factories.user(name=f"Porteuse {i}")
            services.add_project(None, group, factories.project(holders=[holder]),
                                 date(2025, 1, 6))
            services.record_attendance(meeting, name=f"Personne {i}", status="present")
        db.session.commit()

    add(1, 0)
    few = render()
    add(6, 1)
    assert render() == few
