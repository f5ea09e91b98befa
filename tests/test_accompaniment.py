"""Accompaniment time on the project page (issue 12, part R1): durations typed the way
people type them (read exactly or refused, never guessed), logging, changing and deleting
time (plain and htmx), the totals per kind, the staff-only timeline, who may do what,
version conflicts, double submissions, statement counts, the reusable SQL totals."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from incubator.accompaniment import queries, services
from incubator.accompaniment.durations import DurationRefused, format_minutes, parse_duration
from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import AccompanimentTime, ProjectEvent

from . import factories
from .helpers import MESSAGE_OOB, count_statements, project_changed

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(AccompanimentTime).where(*where))


def _log(project, advisor, *, minutes=90, kind="individual_meeting", days_ago=1, note="",
         actor=None) -> AccompanimentTime:
    entry = services.log_time(actor or advisor, project, advisor,
                              spent_on=pole_today() - timedelta(days=days_ago),
                              minutes=minutes, kind=kind, note=note)
    db.session.commit()
    return entry


def _url(project, *rest) -> str:
    return "/".join([f"/projects/{project.id}/accompaniment", *map(str, rest)])


def _form_data(client, project, **overrides) -> dict:
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    data = {"spent_on": (pole_today() - timedelta(days=1)).isoformat(), "duration": "1 h 30",
            "kind": "phone", "note": "Point sur le prévisionnel",
            "form_token": TOKEN.findall(html)[-1]}
    data.update(overrides)
    return data


@pytest.fixture
def old_team(team):
    """The team's project, created 60 days ago (so days before last week are allowed)."""
    team.project.created_at = team.project.created_at - timedelta(days=60)
    db.session.commit()
    return team


# Durations ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, minutes", [
    ("1 h 30", 90), ("1h30", 90), ("1 h 30 min", 90), ("1H30", 90), ("1:30", 90),
    ("90 min", 90), ("90min", 90), ("90 mn", 90), ("45 minutes", 45), ("1,5", 90),
    ("1.5", 90), ("1,5 h", 90), ("2 h", 120), ("2h", 120), ("2", 120), ("0,5", 30),
    ("1,75", 105), ("1 heure 15", 75), ("2 heures", 120), ("1\u202fh\u00a030", 90),
    ("24 h", 1440), ("0 h 05", 5), ("1,00", 60)])
def test_durations_typed_the_way_people_type_them_are_read(app, typed, minutes):
    with app.test_request_context():
        assert parse_duration(typed) == minutes


@pytest.mark.parametrize("typed, says", [
    ("1,30", "could mean"), ("2.15", "could mean"), ("0,25", "could mean"), ("90", "without a unit"),
    ("30", "without a unit"), ("1 h 75", "up to 59"), ("0", "at least one minute"),
    ("0 min", "at least one minute"), ("25 h", "at most 24 hours"), ("2000 min", "at most 24"),
    ("deux heures", "not a duration"), ("1,5 min", "not a duration"), ("", "Enter the duration"),
    ("1,61", "not a whole number of minutes"), ("-1 h", "not a duration")])
def test_ambiguous_or_wrong_durations_are_refused_with_a_message(app, typed, says):
    with app.test_request_context(headers={"Accept-Language": "en"}), \
            pytest.raises(DurationRefused) as refused:
        parse_duration(typed)
    assert says in str(refused.value)


def test_durations_are_written_one_way(app):
    assert format_minutes(750) == "12\u00a0h\u00a030"
    assert format_minutes(120) == "2\u00a0h"
    assert format_minutes(45) == "45\u00a0min"
    assert format_minutes(65) == "1\u00a0h\u00a005"


# Logging --------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_an_advisor_logs_time_and_the_totals_change(client, auth, old_team, htmx):
    auth.login(old_team.advisor)
    project = old_team.project
    response = client.post(_url(project), htmx=htmx, data=_form_data(client, project))
    entry = db.session.scalars(select(AccompanimentTime)).one()
    assert (entry.minutes, entry.kind, entry.advisor_id, entry.created_by_id) == (
        90, "phone", old_team.advisor.id, old_team.advisor.id)
    assert entry.note == "Point sur le prévisionnel"
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.startswith(f'<section id="accompaniment-project-{project.id}"')
        assert "1\u00a0h\u00a030" in html and MESSAGE_OOB in html
        assert project_changed(response)
        assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"#accompaniment-time-{entry.id}")
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "En tout" in page or "In all" in page
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "accompaniment_added")).one()
    assert event.detail["minutes"] == 90 and event.detail["advisor"] == "Yann Le Goff"


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("duration", ["1,30", "90", "deux heures", ""])
def test_a_bad_duration_is_refused_and_the_input_kept(client, auth, old_team, htmx, duration):
    auth.login(old_team.advisor)
    response = client.post(_url(old_team.project), htmx=htmx,
                           data=_form_data(client, old_team.project, duration=duration,
                                           note="Gardé"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("<html" in html) != htmx
    assert "Gardé" in html and "aria-invalid" in html
    assert _count() == 0


def test_a_day_in_the_future_is_refused(client, auth, old_team):
    auth.login(old_team.advisor)
    day = pole_today() + timedelta(days=1)
    response = client.post(_url(old_team.project), htmx=True,
                           data=_form_data(client, old_team.project, spent_on=day.isoformat()))
    assert response.status_code == 422
    assert _count() == 0
    assert "future" in response.get_data(as_text=True)


def test_a_day_before_the_project_was_entered_is_accepted(client, auth, old_team):
    """People are often met before their idea is written down: that time counts too."""
    auth.login(old_team.advisor)
    day = pole_today() - timedelta(days=61 + 3 + 30)
    response = client.post(_url(old_team.project), htmx=True,
                           data=_form_data(client, old_team.project, spent_on=day.isoformat()))
    assert response.status_code == 200
    assert _count() == 1


def test_the_service_refuses_the_future_and_a_holder_as_the_advisor(app, old_team):
    with app.test_request_context(), pytest.raises(services.AccompanimentError):
        services.log_time(old_team.advisor, old_team.project, old_team.advisor,
                          spent_on=pole_today() + timedelta(days=1), minutes=30, kind="phone")
    with app.test_request_context(), pytest.raises(services.AccompanimentError):
        services.log_time(old_team.advisor, old_team.project, old_team.holder,
                          spent_on=pole_today(), minutes=30, kind="phone")


def test_the_same_form_sent_twice_logs_the_time_once(client, auth, old_team):
    auth.login(old_team.advisor)
    data = _form_data(client, old_team.project)
    first = client.post(_url(old_team.project), data=data)
    second = client.post(_url(old_team.project), data=data)
    assert first.status_code == second.status_code == 303
    entry = db.session.scalars(select(AccompanimentTime)).one()
    assert second.headers["Location"].endswith(f"#accompaniment-time-{entry.id}")
    again = client.post(_url(old_team.project), htmx=True, data=data)
    assert again.status_code == 204 and again.headers["HX-Redirect"]
    assert _count() == 1


def test_a_manager_logs_time_for_another_staff_member(client, login, old_team):
    login("manager")
    client.post(_url(old_team.project), data=_form_data(
        client, old_team.project, advisor_id=old_team.advisor.id))
    entry = db.session.scalars(select(AccompanimentTime)).one()
    assert entry.advisor_id == old_team.advisor.id and entry.created_by_id != entry.advisor_id


def test_an_advisor_cannot_log_time_for_someone_else(client, auth, old_team):
    other = factories.user("advisor", name="Claire Rouxel")
    db.session.commit()
    auth.login(old_team.advisor)
    html = client.get(f"/projects/{old_team.project.id}").get_data(as_text=True)
    assert 'name="advisor_id"' not in html.split("accompaniment-project")[1]
    client.post(_url(old_team.project), data=_form_data(client, old_team.project,
                                                         advisor_id=other.id))
    assert db.session.scalars(select(AccompanimentTime)).one().advisor_id == old_team.advisor.id


# An empty « Passé par » reached db.session.get(User, None): a SQLAlchemy warning (an error
# in a future release) before the form said what was missing.
@pytest.mark.parametrize("htmx", [False, True])
def test_a_manager_who_leaves_spent_by_empty_is_asked_to_choose(client, login, old_team,
                                                                 htmx):
    login("manager")
    response = client.post(_url(old_team.project), htmx=htmx, data=_form_data(
        client, old_team.project, advisor_id=""))
    assert response.status_code == 422
    assert "Choose who spent the time." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AccompanimentTime)) == 0


# The section ----------------------------------------------------------------------------


def test_totals_per_kind_and_in_all(app, old_team):
    for minutes, kind in ((90, "phone"), (30, "phone"), (120, "on_site"), (45, "video")):
        _log(old_team.project, old_team.advisor, minutes=minutes, kind=kind)
    section = queries.project_section(old_team.advisor, old_team.project)
    assert section.minutes == {"phone": 120, "on_site": 120, "video": 45}
    assert section.total_minutes == 285 and section.total_entries == 4
    assert queries.minutes_by_kind(project_id=old_team.project.id) == section.minutes
    assert queries.minutes_by_project() == {old_team.project.id: section.minutes}
    assert queries.minutes_by_advisor() == {old_team.advisor.id: 285}
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        table = queries.hours_by_kind_table()
        assert [row[0] for row in table.rows] == ["Téléphone", "Visioconférence", "Sur site"]
    assert [row[1:] for row in table.rows] == [(2, Decimal("2.00")), (1, Decimal("0.75")),
                                               (1, Decimal("2.00"))]
    assert table.footer[1:] == (4, Decimal("4.75"))


def test_the_section_shows_the_newest_first_and_shows_all_on_request(client, auth, old_team):
    for days in range(12):
        _log(old_team.project, old_team.advisor, minutes=10 + days, days_ago=days)
    auth.login(old_team.advisor)
    page = client.get(f"/projects/{old_team.project.id}").get_data(as_text=True)
    assert page.count('class="accompaniment-entry"') == queries.SHOWN
    assert page.index("10\u00a0min") < page.index("11\u00a0min")
    assert "12 entrées" in page or "12 entries" in page
    fragment = client.get(_url(old_team.project), htmx=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    html = fragment.get_data(as_text=True)
    assert html.startswith("<section") and html.count('class="accompaniment-entry"') == 12
    assert "focus-target" in fragment.headers.get("HX-Trigger-After-Settle", "")
    whole = client.get(_url(old_team.project)).get_data(as_text=True)
    assert "<html" in whole and whole.count('class="accompaniment-entry"') == 12


def test_the_project_page_costs_the_same_statements_whatever_the_time_logged(
        client, auth, old_team):
    auth.login(old_team.advisor)
    _log(old_team.project, old_team.advisor)
    with count_statements() as few:
        client.get(f"/projects/{old_team.project.id}")
    for days in range(20):
        _log(old_team.project, factories.user("advisor") if days % 3 else old_team.advisor,
             days_ago=days, actor=old_team.advisor)
    with count_statements() as many:
        client.get(f"/projects/{old_team.project.id}")
    assert len(many) == len(few)


# Who may see and do what ----------------------------------------------------------------


def test_holders_and_mentors_never_see_accompaniment_time(client, auth, old_team, login):
    entry = _log(old_team.project, old_team.advisor, note="Très interne")
    auth.login(old_team.holder)
    page = client.get(f"/projects/{old_team.project.id}").get_data(as_text=True)
    assert "accompaniment-project" not in page and "Très interne" not in page
    history = client.get(f"/projects/{old_team.project.id}/history", htmx=True)
    assert "accompaniment" not in history.get_data(as_text=True).lower()
    for url in (_url(old_team.project), _url(old_team.project, entry.id, "edit"),
                _url(old_team.project, entry.id, "delete")):
        assert client.get(url).status_code == 403
    assert client.post(_url(old_team.project), data={}).status_code == 403
    assert client.post(_url(old_team.project, entry.id, "delete"),
                       data={"version": entry.version}).status_code == 403
    assert _count() == 1


def test_a_mentor_gets_403(client, login, old_team):
    entry = _log(old_team.project, old_team.advisor)
    login("mentor")
    assert client.get(_url(old_team.project)).status_code in (403, 404)
    assert client.post(_url(old_team.project, entry.id, "delete"),
                       data={"version": 1}).status_code in (403, 404)


def test_anonymous_visitors_are_sent_to_log_in(client, old_team):
    entry = _log(old_team.project, old_team.advisor)
    for url in (_url(old_team.project), _url(old_team.project, entry.id, "edit")):
        response = client.get(url)
        assert response.status_code in (302, 303) and "login" in response.headers["Location"]


def test_another_advisor_cannot_change_an_entry_but_a_manager_can(client, auth, login,
                                                                  old_team):
    entry = _log(old_team.project, old_team.advisor)
    other = factories.user("advisor")
    db.session.commit()
    auth.login(other)
    assert client.get(_url(old_team.project, entry.id, "edit")).status_code == 403
    page = client.get(f"/projects/{old_team.project.id}").get_data(as_text=True)
    assert f"/accompaniment/{entry.id}/edit" not in page
    auth.logout()
    login("manager")
    assert client.get(_url(old_team.project, entry.id, "edit")).status_code == 200


def test_an_entry_of_another_project_is_not_found(client, auth, old_team):
    other_project = factories.project(advisor=old_team.advisor)
    db.session.commit()
    entry = _log(other_project, old_team.advisor, days_ago=0)
    auth.login(old_team.advisor)
    assert client.get(_url(old_team.project, entry.id, "edit")).status_code == 404
    assert client.post(_url(old_team.project, entry.id, "delete"),
                       data={"version": entry.version}).status_code == 404
    assert _count() == 1


# Changing and deleting ------------------------------------------------------------------


def test_changing_an_entry_records_it_on_the_timeline(client, auth, old_team):
    entry = _log(old_team.project, old_team.advisor)
    auth.login(old_team.advisor)
    response = client.post(_url(old_team.project, entry.id, "edit"), data={
        "spent_on": entry.spent_on.isoformat(), "duration": "2 h", "kind": "on_site",
        "note": "Visite du local", "version": entry.version})
    assert response.status_code == 303
    db.session.expire_all()
    changed = db.session.get(AccompanimentTime, entry.id)
    assert (changed.minutes, changed.kind, changed.version) == (120, "on_site", 2)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "accompaniment_changed")).one()
    assert set(event.detail["changed"]) == {"minutes", "kind", "note"}
    history = client.get(f"/projects/{old_team.project.id}/history", htmx=True)
    assert "2\u00a0h" in history.get_data(as_text=True)


def test_a_stale_edit_gets_409_and_keeps_the_input(client, auth, old_team):
    entry = _log(old_team.project, old_team.advisor)
    services.change_time(old_team.advisor, old_team.project, entry, old_team.advisor,
                         spent_on=entry.spent_on, minutes=15, kind="phone", note="",
                         seen_version=1)
    db.session.commit()
    auth.login(old_team.advisor)
    response = client.post(_url(old_team.project, entry.id, "edit"), data={
        "spent_on": entry.spent_on.isoformat(), "duration": "3 h", "kind": "video",
        "note": "Ma saisie", "version": 1})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Ma saisie" in html and 'value="3 h"' in html and 'name="version" value="2"' in html
    assert db.session.get(AccompanimentTime, entry.id).minutes == 15


@pytest.mark.parametrize("htmx", [False, True])
def test_deleting_an_entry_keeps_a_line_in_the_history(client, auth, old_team, htmx):
    entry = _log(old_team.project, old_team.advisor)
    auth.login(old_team.advisor)
    assert client.get(_url(old_team.project, entry.id, "delete")).status_code == 200
    response = client.post(_url(old_team.project, entry.id, "delete"), htmx=htmx,
                           data={"version": entry.version})
    assert _count() == 0
    if htmx:
        assert response.status_code == 200 and project_changed(response)
        assert response.get_data(as_text=True).startswith("<section")
    else:
        assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ProjectEvent).where(
        ProjectEvent.kind == "accompaniment_deleted")) == 1


def test_deleting_a_changed_entry_gets_409(client, auth, old_team):
    entry = _log(old_team.project, old_team.advisor)
    services.change_time(old_team.advisor, old_team.project, entry, old_team.advisor,
                         spent_on=entry.spent_on, minutes=15, kind="phone", note="",
                         seen_version=1)
    db.session.commit()
    auth.login(old_team.advisor)
    response = client.post(_url(old_team.project, entry.id, "delete"), data={"version": 1})
    assert response.status_code == 409
    assert _count() == 1


def test_the_duration_is_marked_required_like_the_day_and_the_kind(client, auth, old_team):
    auth.login(old_team.advisor)
    project = old_team.project
    html = client.get(f"/projects/{project.id}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    for name in ("day", "duration", "kind"):
        control_id = f"new-time-project-{project.id}-{name}"
        label = re.search(rf'<label for="{control_id}">(.*?)</label>', html, re.S).group(1)
        control = re.search(rf'<(?:input|select)[^>]*id="{control_id}"[^>]*>', html).group(0)
        assert "(obligatoire)" in label, name
        assert 'aria-required="true"' in control and " required" in control, name
    # Left empty, it says what to type (the parser's own words).
    response = client.post(_url(project), data=_form_data(client, project, duration=""),
                           headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Saisissez la durée, par exemple" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_the_time_logged_is_said_to_be_of_its_day_in_french(client, auth, old_team, htmx):
    auth.login(old_team.advisor)
    project = old_team.project
    response = client.post(_url(project), htmx=htmx, data=_form_data(client, project),
                           headers={"Accept-Language": "fr"}, follow_redirects=not htmx)
    html = response.get_data(as_text=True)
    assert "Temps saisi\u202f: 1\u00a0h\u00a030 du " in html
    assert "enregistré le" not in html


def test_a_forged_advisor_that_is_not_a_number_gets_our_message(client, login, old_team):
    """Only a forged request sends « abc » for the select's id: the form's own message, not
    WTForms' « ne peut pas être converti »; nothing is recorded."""
    login("manager")
    response = client.post(_url(old_team.project), data=_form_data(
        client, old_team.project, advisor_id="abc"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose one of the options offered" in html and "coerce" not in html
    assert db.session.scalars(select(AccompanimentTime)).first() is None
