"""Mentoring (issue 10): link, end, hours, totals, suggestions with their reasons, the
communes reference, the timeline and the advisor's notifications, the project and member
pages' sections, the board's mark and filter."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members.services import create_organisation, links_of
from incubator.mentoring import services, suggestions
from incubator.models import (
    Commune,
    MentoringHours,
    Mentorship,
    Notification,
    OrganisationContact,
    ProjectEvent,
    utcnow,
)

from . import factories
from .helpers import count_statements

COMMUNES = Path(__file__).resolve().parent.parent / "incubator" / "data" / \
    "communes-pays-de-redon.csv"
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _communes() -> None:
    services.import_communes(services.read_communes(
        COMMUNES.read_text(encoding="utf-8").splitlines()))
    db.session.commit()


def _organisation(name: str = "SCIC Manger Local", **fields):
    values = {"family": "cooperative", "commune": "Redon", "commune_insee": "35236",
              "mentoring_capacity": 2, "is_member": True,
              "contacts": ({"name": "Solenn Le Bihan", "role": "Coordinatrice"},)}
    values.update(fields)
    organisation = create_organisation(None, name=name, **values)
    db.session.commit()
    return organisation


def _mentorship(project, organisation, *, started_on=date(2025, 1, 6), contact=True,
                ended_on=None) -> Mentorship:
    contact_id = None
    if contact:
        contact_id = db.session.scalar(select(OrganisationContact.id).where(
            OrganisationContact.organisation_id == organisation.id))
    mentorship = Mentorship(project_id=project.id, organisation_id=organisation.id,
                            role="sponsor", contact_id=contact_id, started_on=started_on,
                            ended_on=ended_on)
    db.session.add(mentorship)
    db.session.commit()
    return mentorship


def _token(client, url: str, form: str) -> str:
    html = client.get(url).get_data(as_text=True)
    start = html.index(form)
    return TOKEN.search(html, start).group(1)


# The communes reference and distances ------------------------------------------------


def test_the_shipped_communes_load_with_coordinates_and_are_updated_not_duplicated(app):
    rows = services.read_communes(COMMUNES.read_text(encoding="utf-8").splitlines())
    assert 40 <= len(rows) <= 60
    assert services.import_communes(rows) == (len(rows), 0)
    assert services.import_communes(rows) == (0, 0)
    redon = db.session.get(Commune, "35236")
    assert redon.name == "Redon" and redon.postcodes == "35600"
    assert redon.epci_name == "Redon Agglomération" and redon.name_key == "redon"
    assert 47.6 < redon.latitude < 47.7 and -2.1 < redon.longitude < -2.0


def test_a_communes_file_reads_semicolons_a_bom_other_headers_and_skips_bad_rows():
    lines = ["\ufeffCode INSEE;Nom de la commune;Code postal;Latitude;Longitude",
             "35236;Redon;35600;47,6514;-2,0842", ";Sans code;;;", "44185;Saint-Nicolas;;x;"]
    rows = services.read_communes(lines)
    assert [r["insee_code"] for r in rows] == ["35236", "44185"]
    assert rows[0]["latitude"] == pytest.approx(47.6514) and rows[1]["latitude"] is None
    with pytest.raises(services.CommunesFileError):
        services.read_communes(["nom,latitude", "Redon,47"])


def test_the_distance_is_the_great_circle_in_km():
    redon, bains = (47.6514, -2.0842), (47.7053, -2.0694)
    assert round(suggestions.haversine_km(redon, bains)) == 6
    assert suggestions.haversine_km(redon, redon) == 0


def test_flask_communes_import_adds_then_updates(app, tmp_path):
    path = tmp_path / "communes.csv"
    path.write_text("code,nom,codesPostaux,latitude,longitude\n35236,Redon,35600,47.65,-2.08\n",
                    encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["communes", "import", str(path)])
    assert result.exit_code == 0 and "1 added" in result.output
    path.write_text("code,nom,codesPostaux,latitude,longitude\n35236,Redon,35600,47.6514,-2.08\n",
                    encoding="utf-8")
    result = runner.invoke(args=["communes", "import", str(path)])
    assert "0 added, 1 updated" in result.output
    path.write_bytes(b"\x00\x01\x02")
    result = runner.invoke(args=["communes", "import", str(path)])
    assert result.exit_code != 0 and "not a text" in result.output


# Suggestions --------------------------------------------------------------------------


def test_suggestions_rank_skill_place_capacity_and_membership_and_say_why(app):
    _communes()
    theme = factories.theme("Alimentation et circuits courts")
    project = factories.project(title="Épicerie", commune="Redon", theme_id=theme.id)
    other = factories.project(title="Autre")
    _organisation("SCIC Manger Local", commune="Bains-sur-Oust",
                         commune_insee="35013", skills="Circuits courts\nLogistique",
                         mentoring_capacity=3)
    _organisation("Atelier du Canal", commune="REDON", commune_insee="",
                         sector="Artisanat", is_member=False, mentoring_capacity=1)
    full = _organisation("Coop Pleine", commune="Redon", skills="Circuits courts",
                         mentoring_capacity=1)
    _mentorship(other, full)
    _organisation("Loin d’ici", commune="Questembert", commune_insee="56184",
                        sector="Alimentation", is_member=False, mentoring_capacity=1)
    _organisation("Archivée", archived_at=utcnow(), skills="Circuits courts")
    _organisation("Sans capacité", mentoring_capacity=0, skills="Circuits courts")
    linked = _organisation("Déjà là", skills="Circuits courts")
    _mentorship(project, linked)

    with current_app.test_request_context(headers={"Accept-Language": "fr"}):
        found = suggestions.suggestions(project)
        names = [s.organisation.name for s in found]
        assert names == ["SCIC Manger Local", "Atelier du Canal", "Loin d’ici", "Coop Pleine"]
        first = found[0]
        assert first.reasons == ["compétence\u202f: Circuits courts", "à 6\u00a0km",
                                 "capacité\u202f: 3 places sur 3", "adhérent"]
        assert found[1].reasons == ["même commune", "capacité\u202f: 1 place sur 1"]
        assert found[2].reasons[0] == "secteur\u202f: Alimentation"
        assert found[2].distance_km > suggestions.NEARBY_KM and "km" not in " ".join(found[2].reasons)
        assert found[3].full and found[3].reasons[-2:] == ["complet\u202f: 1 place prise",
                                                          "adhérent"]


def test_suggestions_cost_a_fixed_number_of_statements(app):
    _communes()
    project = factories.project(commune="Redon", theme_id=factories.theme().id)

    def cost() -> int:
        db.session.refresh(project)  # expired by the commits
        with current_app.test_request_context(), count_statements() as statements:
            suggestions.suggestions(project)
        return len(statements)

    _organisation("Une", skills="Culture")
    small = cost()
    for n in range(15):
        organisation = _organisation(f"Org {n}", commune="Allaire", commune_insee="56001")
        _mentorship(factories.project(), organisation)
    assert cost() == small <= 5


# Linking ------------------------------------------------------------------------------


@pytest.fixture
def linked(team, client, auth):
    """The team's advisor sees the page; another staff member links."""
    _communes()
    organisation = _organisation()
    staff = factories.user(role="manager", name="Marion Guérin")
    db.session.commit()
    auth.login(staff)
    return organisation, staff


def _link_data(client, project, organisation, **overrides) -> dict:
    url = f"/projects/{project.id}/mentors/new?organisation_id={organisation.id}"
    contact = db.session.scalar(select(OrganisationContact.id).where(
        OrganisationContact.organisation_id == organisation.id))
    data = {"organisation_id": organisation.id, "role": "sponsor", "contact_id": contact,
            "started_on": "2025-02-03", "form_token": _token(client, url, 'id="link-mentor-form"')}
    data.update(overrides)
    return data


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_link_a_mentor_recorded_on_the_timeline_and_told_to_the_advisor(
        client, team, linked, htmx):
    organisation, staff = linked
    project = team.project
    page = client.get(f"/projects/{project.id}/mentors/new").get_data(as_text=True)
    assert "SCIC Manger Local" in page and "same commune" in page
    data = _link_data(client, project, organisation)
    response = client.post(f"/projects/{project.id}/mentors", data=data, htmx=htmx)
    anchor = f"/projects/{project.id}#mentoring-project-{project.id}"
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == anchor
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith(anchor)
    mentorship = db.session.scalars(select(Mentorship)).one()
    assert (mentorship.role, mentorship.started_on, mentorship.created_by_id) == (
        "sponsor", date(2025, 2, 3), staff.id)
    assert mentorship.contact_id is not None and mentorship.ended_on is None
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "mentor_linked")).one()
    assert event.detail["organisation"] == "SCIC Manger Local"
    notice = db.session.scalars(select(Notification).where(
        Notification.kind == "mentoring")).one()
    assert notice.user_id == team.advisor.id and notice.detail["what"] == "linked"
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "SCIC Manger Local mentors the project" in page or "parraine" in page
    assert f'id="mentorship-{mentorship.id}"' in page and "Solenn Le Bihan" in page
    # The same form again: one mentorship.
    again = client.post(f"/projects/{project.id}/mentors", data=data)
    assert again.status_code == 303 and _count(Mentorship) == 1


def test_linking_the_same_organisation_twice_while_current_is_422(client, team, linked):
    organisation, _staff = linked
    project = team.project
    client.post(f"/projects/{project.id}/mentors", data=_link_data(client, project, organisation))
    response = client.post(f"/projects/{project.id}/mentors",
                           data=_link_data(client, project, organisation, role="expert"))
    assert response.status_code == 422
    assert "already mentors this project" in response.get_data(as_text=True)
    assert _count(Mentorship) == 1


def test_an_archived_organisation_is_not_proposed_nor_linked(client, team, linked):
    organisation, _staff = linked
    data = _link_data(client, team.project, organisation)
    organisation.archived_at = utcnow()
    db.session.commit()
    page = client.get(f"/projects/{team.project.id}/mentors/new?q=manger")
    assert "SCIC Manger Local" not in page.get_data(as_text=True)
    assert client.get(f"/projects/{team.project.id}/mentors/new?organisation_id="
                      f"{organisation.id}").status_code == 404
    response = client.post(f"/projects/{team.project.id}/mentors", data=data)
    assert response.status_code == 422 and "is archived" in response.get_data(as_text=True)
    assert _count(Mentorship) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_link_form_comes_back_with_its_errors(client, team, linked, htmx):
    organisation, _staff = linked
    response = client.post(f"/projects/{team.project.id}/mentors", htmx=htmx, data=_link_data(
        client, team.project, organisation, role="boss", started_on="demain"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "data-error-summary" in html
    assert 'id="link-mentor-form"' in html
    assert _count(Mentorship) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_the_directory_search_of_the_linking_page(client, team, linked, htmx):
    _organisation("Radio Vilaine FM", commune="Avessac", mentoring_capacity=0)
    response = client.get(f"/projects/{team.project.id}/mentors/new?q=vilaine", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert "Radio Vilaine FM" in html and 'id="mentor-search-results"' in html
    assert ("<html" in html) is (not htmx)


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_only_staff_link_mentors(client, login, role):
    login(role)
    project = factories.project()
    organisation = _organisation()
    assert client.get(f"/projects/{project.id}/mentors/new").status_code == 404
    response = client.post(f"/projects/{project.id}/mentors",
                           data={"organisation_id": organisation.id, "role": "sponsor",
                                 "started_on": "2025-01-06"})
    assert response.status_code == 404 and _count(Mentorship) == 0


# Ending --------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_end_a_mentorship_version_checked(client, team, linked, htmx):
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    url = f"/projects/{team.project.id}/mentors/{mentorship.id}/end"
    response = client.post(url, data={"ended_on": "2025-06-30", "version": 1}, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "project-changed" in response.headers["HX-Trigger"]
        assert f'id="mentoring-project-{team.project.id}"' in html and "Past mentorships" in html
    else:
        assert response.status_code == 303
    db.session.expire_all()
    assert mentorship.ended_on == date(2025, 6, 30) and mentorship.version == 2
    assert _count(ProjectEvent, ProjectEvent.kind == "mentorship_ended") == 1
    assert _count(Notification, Notification.user_id == team.advisor.id) == 1
    again = client.post(url, data={"ended_on": "2025-07-01", "version": 2}, htmx=htmx)
    assert again.status_code == 422 and "already ended" in again.get_data(as_text=True)


def test_an_end_before_the_start_is_422_and_a_stale_end_is_409_with_input_kept(
        client, team, linked):
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    url = f"/projects/{team.project.id}/mentors/{mentorship.id}/end"
    early = client.post(url, data={"ended_on": "2024-12-31", "version": 1}, htmx=True)
    assert early.status_code == 422 and "cannot be before the start" in early.get_data(
        as_text=True)
    mentorship.version = 5
    db.session.commit()
    stale = client.post(url, data={"ended_on": "2025-03-14", "version": 1})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and 'value="2025-03-14"' in html
    assert 'name="version" value="5"' in html
    db.session.expire_all()
    assert mentorship.ended_on is None


@pytest.mark.parametrize("htmx", [False, True])
def test_an_end_in_the_future_is_422_and_the_mentorship_stays_current(client, team, linked,
                                                                      htmx):
    """Ending takes the access away at once: an end date after today would record an end
    that has not happened (and the mentor would lose the project meanwhile)."""
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    url = f"/projects/{team.project.id}/mentors/{mentorship.id}/end"
    for day in ((date.today() + timedelta(days=3)).isoformat(), "2099-01-01"):
        response = client.post(url, data={"ended_on": day, "version": 1}, htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "cannot be in the future" in html
        assert f'value="{day}"' in html
    db.session.expire_all()
    assert mentorship.ended_on is None and mentorship.version == 1
    assert _count(ProjectEvent, ProjectEvent.kind == "mentorship_ended") == 0


def test_today_is_the_poles_day_for_hours_and_ends(app, team):
    """At 00:30 in Paris it is still the day before in UTC: the pole's today counts (the
    forms' default date), for the hours and for the end."""
    mentorship = _mentorship(team.project, _organisation())
    just_after_midnight = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)  # 4 March, 00:30 Paris
    with current_app.test_request_context():
        entry = services.log_hours(team.advisor, mentorship, date(2025, 3, 4), Decimal(1),
                                   now=just_after_midnight)
        assert entry.worked_on == date(2025, 3, 4)
        with pytest.raises(services.MentoringError):
            services.log_hours(team.advisor, mentorship, date(2025, 3, 5), Decimal(1),
                               now=just_after_midnight)
        with pytest.raises(services.MentoringError):
            services.end_mentorship(team.advisor, team.project, mentorship, date(2025, 3, 5),
                                    mentorship.version, now=just_after_midnight)
        services.end_mentorship(team.advisor, team.project, mentorship, date(2025, 3, 4),
                                mentorship.version, now=just_after_midnight)
    assert mentorship.ended_on == date(2025, 3, 4)


# Hours ---------------------------------------------------------------------------------


def _hours_url(mentorship) -> str:
    return f"/projects/{mentorship.project_id}/mentors/{mentorship.id}/hours"


@pytest.mark.parametrize(("typed", "htmx"), [("1,5", False), ("1.5", True)])
def test_staff_log_hours_with_decimals_either_way_and_see_the_totals(
        client, team, linked, typed, htmx):
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    token = _token(client, f"/projects/{team.project.id}", f'id="hours-mentorship-{mentorship.id}-form"')
    data = {"worked_on": "2025-03-03", "hours": typed, "note": "Budget relu.",
            "form_token": token}
    response = client.post(_hours_url(mentorship), data=data, htmx=htmx,
                           headers={"Accept-Language": "fr"})
    if htmx:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "1,5" in html and "Budget relu." in html
    else:
        assert response.status_code == 303
    entry = db.session.scalars(select(MentoringHours)).one()
    assert entry.hours == Decimal("1.5") and entry.worked_on == date(2025, 3, 3)
    assert _count(ProjectEvent, ProjectEvent.kind == "hours_logged") == 1
    notice = db.session.scalars(select(Notification)).one()
    assert notice.user_id == team.advisor.id and notice.detail["hours"] == "1.5"
    # Sent twice: logged once.
    assert client.post(_hours_url(mentorship), data=data).status_code == 303
    assert _count(MentoringHours) == 1
    client.post(_hours_url(mentorship), data={"worked_on": "2025-03-10", "hours": "2"})
    page = client.get(f"/projects/{team.project.id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "3,5\u00a0h" in page or "3,5 h" in page
    member = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert team.project.title in member and "3.5" in member


@pytest.mark.parametrize(("worked_on", "hours", "message"), [
    ("2025-03-03", "0", "between 0 and 24"),
    ("2025-03-03", "25", "between 0 and 24"),
    ("2025-03-03", "deux", "Enter a number"),
    ("2024-12-01", "2", "started on"),
    ((date.today() + timedelta(days=3)).isoformat(), "2", "until today"),
])
def test_bad_hours_are_refused_with_a_message(client, team, linked, worked_on, hours,
                                              message):
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    for htmx in (False, True):
        response = client.post(_hours_url(mentorship), htmx=htmx,
                               data={"worked_on": worked_on, "hours": hours})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert _count(MentoringHours) == 0


def _mentor_of(mentorship) -> object:
    mentor = factories.user(role="mentor", name="Solenn Le Bihan")
    contact = db.session.get(OrganisationContact, mentorship.contact_id)
    contact.user_id = mentor.id
    db.session.commit()
    return mentor


def test_the_mentor_logs_their_own_hours_while_the_mentorship_is_current(
        client, auth, team):
    organisation = _organisation()
    mentorship = _mentorship(team.project, organisation)
    mentor = _mentor_of(mentorship)
    auth.login(mentor)
    response = client.post(_hours_url(mentorship), htmx=True,
                           data={"worked_on": "2025-03-03", "hours": "2", "note": "Visite"})
    assert response.status_code == 200
    entry = db.session.scalars(select(MentoringHours)).one()
    assert entry.logged_by_id == mentor.id
    notice = db.session.scalars(select(Notification)).one()
    assert notice.user_id == team.advisor.id and notice.actor_id == mentor.id
    # Not the end of it, nor another mentorship's hours.
    assert client.post(f"/projects/{team.project.id}/mentors/{mentorship.id}/end",
                       data={"ended_on": "2025-06-30", "version": 1}).status_code in (403, 404)
    other = _mentorship(factories.project(), _organisation("Autre"))
    assert client.post(_hours_url(other), data={"worked_on": "2025-03-03",
                                                 "hours": "2"}).status_code == 404
    # Once ended, the mentor logs no more.
    mentorship.ended_on = date(2025, 6, 30)
    db.session.commit()
    assert client.post(_hours_url(mentorship), data={"worked_on": "2025-03-04",
                                                      "hours": "2"}).status_code == 404
    assert _count(MentoringHours) == 1


def test_holders_and_other_mentors_may_not_log_hours(client, auth, team):
    mentorship = _mentorship(team.project, _organisation())
    stranger = factories.user(role="mentor")
    db.session.commit()
    for user in (team.holder, stranger):
        auth.login(user)
        response = client.post(_hours_url(mentorship),
                               data={"worked_on": "2025-03-03", "hours": "2"})
        assert response.status_code == 404
        auth.logout()
    assert _count(MentoringHours) == 0


def test_a_days_hours_add_up_to_24_at_most(client, team, linked):
    """24 hours a day is for the day, not for each entry: a second entry of the same day
    that would pass 24 hours is refused saying how many are left."""
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    assert client.post(_hours_url(mentorship), data={"worked_on": "2025-03-03",
                                                      "hours": "20"}).status_code == 303
    for htmx in (False, True):
        response = client.post(_hours_url(mentorship), htmx=htmx,
                               data={"worked_on": "2025-03-03", "hours": "4,5"},
                               headers={"Accept-Language": "fr"})
        assert response.status_code == 422
        assert "4 h au plus" in response.get_data(as_text=True)
    assert client.post(_hours_url(mentorship), data={"worked_on": "2025-03-03",
                                                      "hours": "4"}).status_code == 303
    assert client.post(_hours_url(mentorship), data={"worked_on": "2025-03-04",
                                                      "hours": "24"}).status_code == 303
    assert db.session.scalar(select(func.sum(MentoringHours.hours))) == Decimal(48)


def test_the_hours_hint_writes_the_decimal_the_readers_way(client, team, linked):
    """English readers are told "1.5", French ones « 1,5 » (both are read either way)."""
    organisation, _staff = linked
    _mentorship(team.project, organisation)
    english = client.get(f"/projects/{team.project.id}",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Decimals allowed: 1.5 is an hour and a half." in english
    french = client.get(f"/projects/{team.project.id}",
                        headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "1,5 fait une heure et demie." in french


def test_the_service_refuses_hours_out_of_bounds(app, team):
    mentorship = _mentorship(team.project, _organisation())
    with current_app.test_request_context():
        for hours in (Decimal(0), Decimal("24.01")):
            with pytest.raises(services.MentoringError):
                services.log_hours(team.advisor, mentorship, date(2025, 3, 3), hours)
        entry = services.log_hours(team.advisor, mentorship, date(2025, 3, 3), Decimal("24"))
    assert entry.hours == 24


# Pages ---------------------------------------------------------------------------------


def test_holders_see_the_mentors_without_the_contact_nor_the_controls(client, auth, team):
    organisation = _organisation()
    _mentorship(team.project, organisation)
    auth.login(team.holder)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "SCIC Manger Local" in html and "Solenn Le Bihan" not in html
    assert "Link a mentor" not in html and "/hours" not in html and "/end" not in html


def test_holders_see_the_hours_without_their_notes_nor_a_link_to_the_directory(
        client, auth, team):
    """The notes of hours entries are for staff and mentors; holders cannot read the
    directory, so the organisation's name is not a link for them."""
    organisation = _organisation()
    mentorship = _mentorship(team.project, organisation)
    db.session.add(MentoringHours(mentorship_id=mentorship.id, worked_on=date(2025, 1, 7),
                                  hours=Decimal("1.5"), note="Budget relu avec le comptable"))
    db.session.commit()
    auth.login(team.holder)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "1.5 h" in html and "Budget relu" not in html
    assert f"/members/{organisation.id}" not in html
    auth.logout()
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Budget relu avec le comptable" in html and f"/members/{organisation.id}" in html


def test_the_timeline_keeps_the_names_as_they_were(client, auth, team):
    organisation = _organisation()
    auth.login(team.advisor)
    with current_app.test_request_context():
        mentorship = services.link_mentor(team.advisor, team.project, organisation,
                                          role="expert", contact=None,
                                          started_on=date(2025, 1, 6))
        services.log_hours(team.advisor, mentorship, date(2025, 1, 7), Decimal("2.25"))
        services.end_mentorship(team.advisor, team.project, mentorship, date(2025, 2, 1), 1)
    organisation.name = "Nouveau nom"
    db.session.commit()
    html = client.get(f"/projects/{team.project.id}/history", htmx=True).get_data(as_text=True)
    assert html.count("SCIC Manger Local") == 3 and "Nouveau nom" not in html
    assert "2.25 h" in html or "2,25" in html
    assert _count(Notification) == 0  # the advisor did it themself


def test_the_project_and_member_pages_cost_a_fixed_number_of_statements(client, auth, team):
    auth.login(team.advisor)
    organisation = _organisation()

    def cost(url: str) -> int:
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            other = _organisation(f"Org {len(str(i))}-{i}")
            mentorship = _mentorship(team.project, other)
            db.session.add(MentoringHours(mentorship_id=mentorship.id, worked_on=date(2025, 2, 1),
                                          hours=Decimal("1.5")))
            ended = _mentorship(factories.project(), organisation, ended_on=date(2025, 3, 1))
            db.session.add(MentoringHours(mentorship_id=ended.id, worked_on=date(2025, 2, 1),
                                          hours=Decimal(2)))
        db.session.commit()

    add(1)
    project_page, member_page = f"/projects/{team.project.id}", f"/members/{organisation.id}"
    small = cost(project_page), cost(member_page)
    add(10)
    assert (cost(project_page), cost(member_page)) == small


def test_deleting_an_organisation_with_mentorships_is_refused_saying_so(client, login, team):
    login("advisor")
    organisation = _organisation()
    _mentorship(team.project, organisation, ended_on=date(2025, 3, 1))
    with current_app.test_request_context():
        assert links_of(organisation) == ["elle parraine ou a parrainé 1 projet"]
    response = client.post(f"/members/{organisation.id}/delete", data={"confirm": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "mentors or mentored 1 project" in html or "parrainé 1 projet" in html


# The board -----------------------------------------------------------------------------


def test_board_cards_show_a_mentor_mark_and_the_board_filters_by_mentor(client, login):
    login("advisor")
    mentored = factories.project(title="Projet parrainé")
    alone = factories.project(title="Projet seul")
    organisation = _organisation()
    _mentorship(mentored, organisation)
    ended = _organisation("Ancien parrain")
    _mentorship(alone, ended, ended_on=date(2025, 3, 1))
    html = client.get("/board").get_data(as_text=True)
    card = html[html.index(f'id="project-{mentored.id}"'):]
    card = card[:card.index("</li>")]
    assert "mentor-mark" in card and "Mentored by SCIC Manger Local" in card
    other = html[html.index(f'id="project-{alone.id}"'):]
    assert "mentor-mark" not in other[:other.index("</li>")]
    assert f'<option value="{organisation.id}"' in html and "Ancien parrain" not in html
    response = client.get(f"/board?mentor={organisation.id}", htmx=True)
    filtered = response.get_data(as_text=True)
    assert "Projet parrainé" in filtered and "Projet seul" not in filtered
    assert response.headers["HX-Push-Url"] == f"/board?mentor={organisation.id}"
    assert client.get("/board?mentor=abc").status_code == 200


def test_the_mentor_filter_marks_its_choice_escapes_names_and_offers_a_new_mentor_at_once(
        app, client, login):
    """The mentor filter's options are rendered once per kept list (board/pages.py
    ``choice_options``): the chosen one alone is selected, names are escaped, the next
    page after a new mentorship offers it (a new board revision) and, while nothing is
    written, the pages share one rendering."""
    from incubator.board import pages

    app.config["BOARD_FILTER_CHOICES_SECONDS"] = 30
    app.config["BOARD_PAGE_CACHE_KB"] = 0  # every page rendered
    login("manager")
    first, second = factories.project(title="Premier"), factories.project(title="Second")
    twelve = _organisation("Tiers <b>lieu</b> & co")
    _mentorship(first, twelve)
    html = client.get(f"/board?mentor={twelve.id}").get_data(as_text=True)
    select_html = html[html.index('name="mentor"'):]
    select_html = select_html[:select_html.index("</select>")]
    assert (f'<option value="{twelve.id}" selected>Tiers &lt;b&gt;lieu&lt;/b&gt; &amp; co'
            '</option>') in select_html
    assert select_html.count("selected") == 1 and "<b>" not in select_html
    rendered = pages._options[1]
    assert client.get("/board").status_code == 200
    assert pages._options[1] is rendered  # the same lists: not rendered again
    newcomer = _organisation("Nouveau parrain")
    _mentorship(second, newcomer)
    html = client.get("/board").get_data(as_text=True)
    assert f'<option value="{newcomer.id}">Nouveau parrain</option>' in html
    assert "selected>Tiers" not in html


def test_the_mentor_filter_lists_organisations_mentoring_an_active_project_by_name(app):
    """The rule of ``mentoring_organisations`` (now plain rows, not ORM objects): a current
    mentorship of an active project; each organisation once; by search key, then id."""
    from incubator.mentoring.queries import mentoring_organisations

    first, second = factories.project(), factories.project()
    closed = factories.project(status="closed")
    paused = factories.project(status="paused")
    zebre, ecoute, abri = (_organisation("Zèbre solidaire"), _organisation("Écoute et lien"),
                           _organisation("Abri partagé"))
    _mentorship(first, zebre)
    _mentorship(second, zebre)
    _mentorship(first, ecoute)
    _mentorship(second, abri, ended_on=date(2025, 3, 1))
    _mentorship(closed, abri)
    _mentorship(paused, abri)
    with count_statements() as statements:
        listed = mentoring_organisations()
    assert [(row.id, row.name) for row in listed] == [
        (ecoute.id, "Écoute et lien"), (zebre.id, "Zèbre solidaire")]
    assert len(statements) == 1


# Changing --------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_change_a_mentorship_recorded_and_told(client, team, linked, htmx):
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation, contact=False)
    url = f"/projects/{team.project.id}/mentors/{mentorship.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and 'name="version" value="1"' in page.get_data(as_text=True)
    contact = db.session.scalar(select(OrganisationContact.id))
    response = client.post(url, htmx=htmx, data={
        "role": "expert", "contact_id": contact, "started_on": "2025-01-13", "version": 1})
    anchor = f"/projects/{team.project.id}#mentoring-project-{team.project.id}"
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == anchor
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith(anchor)
    db.session.expire_all()
    assert (mentorship.role, mentorship.contact_id, mentorship.started_on,
            mentorship.version) == ("expert", contact, date(2025, 1, 13), 2)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "mentorship_changed")).one()
    assert event.detail["contact_changed"] is True
    assert _count(Notification, Notification.user_id == team.advisor.id) == 1
    # The same values again: nothing written, nothing told.
    client.post(url, data={"role": "expert", "contact_id": contact,
                           "started_on": "2025-01-13", "version": 2})
    db.session.expire_all()
    assert mentorship.version == 2 and _count(ProjectEvent) == 1


def test_a_stale_change_is_409_with_the_choices_kept_and_a_late_start_is_422(
        client, team, linked):
    organisation, _staff = linked
    mentorship = _mentorship(team.project, organisation)
    db.session.add(MentoringHours(mentorship_id=mentorship.id, worked_on=date(2025, 2, 1),
                                  hours=Decimal(2)))
    db.session.commit()
    url = f"/projects/{team.project.id}/mentors/{mentorship.id}/edit"
    late = client.post(url, data={"role": "sponsor", "started_on": "2025-03-01",
                                  "version": 1})
    assert late.status_code == 422 and "the start cannot be later" in late.get_data(
        as_text=True)
    mentorship.version = 4
    db.session.commit()
    stale = client.post(url, data={"role": "support_body", "started_on": "2025-01-20",
                                   "version": 1})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and 'value="2025-01-20"' in html
    assert 'name="version" value="4"' in html
    assert re.search(r'<option (selected value="support_body"|value="support_body" selected)',
                     html)
    db.session.expire_all()
    assert mentorship.role == "sponsor"


# The demo ----------------------------------------------------------------------------------


def test_the_demo_has_communes_and_mentorships_with_hours_and_no_stray_notification(app):
    from incubator.demo import MENTORSHIPS, load_demo

    with current_app.test_request_context():
        assert load_demo()
    db.session.commit()
    assert _count(Commune) >= 40
    mentorships = db.session.scalars(select(Mentorship)).all()
    assert len(mentorships) == len(MENTORSHIPS)
    assert any(not m.is_current for m in mentorships) and any(m.is_current for m in mentorships)
    assert _count(MentoringHours) >= 10
    assert _count(ProjectEvent, ProjectEvent.kind == "hours_logged") == _count(MentoringHours)
    assert _count(Notification, Notification.kind == "mentoring") == 0


def test_two_links_at_the_same_moment_leave_one_current_mentorship(app, team, monkeypatch):
    """The check before the insert cannot see a link made at the same instant by another
    request: the partial unique index refuses the second, with the same message."""
    organisation = _organisation()
    _mentorship(team.project, organisation)
    monkeypatch.setattr(services, "current_of", lambda *args: None)
    with current_app.test_request_context(), pytest.raises(services.MentoringError,
                                                           match="parraine déjà|already"):
        services.link_mentor(team.advisor, team.project, organisation, role="expert",
                             contact=None, started_on=date(2025, 2, 1))
    db.session.rollback()
    assert _count(Mentorship) == 1
    # An ended one does not count: the organisation may mentor the project again.
    _mentorship(team.project, organisation, ended_on=date(2025, 3, 1))
