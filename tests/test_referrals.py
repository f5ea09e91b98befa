"""Referrals (issue 11): the project page's « Orientations » section, adding, changing and
deleting a referral (staff only, version-checked, recorded on the timeline), what holders and
mentors see, closing a project as redirected (the close and the referral in one
transaction), a partner's referrals both ways."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import (
    Mentorship,
    OrganisationContact,
    Partner,
    Project,
    ProjectEvent,
    Referral,
    StatusChange,
    utcnow,
)
from incubator.referrals import queries, services

from . import factories
from .helpers import count_statements
from .hostile_data import Markers, check_html

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _partner(name: str = "France Active Bretagne", **fields) -> Partner:
    partner = Partner(name=name, kind=fields.pop("kind", "solidarity_funder"), **fields)
    db.session.add(partner)
    db.session.commit()
    return partner


def _referral(project: Project, partner: Partner, **fields) -> Referral:
    values = {"direction": "outgoing", "referred_on": date(2025, 3, 4),
              "reason": "Besoin d’un prêt d’honneur", "outcome": "pending",
              "outcome_note": "Rendez-vous pris"}
    values.update(fields)
    referral = Referral(project_id=project.id, partner_id=partner.id, **values)
    db.session.add(referral)
    db.session.commit()
    return referral


def _token(client, url: str) -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def _add_data(client, project, partner, **overrides) -> dict:
    data = {"partner_id": partner.id, "direction": "outgoing", "referred_on": "2025-03-04",
            "reason": "Un financement solidaire", "outcome": "pending", "outcome_note": "",
            "form_token": _token(client, f"/projects/{project.id}/referrals/new")}
    data.update(overrides)
    return data


@pytest.fixture
def staff(team, auth):
    """Another staff member than the team's advisor, logged in."""
    manager = factories.user(role="manager", name="Marion Guérin")
    db.session.commit()
    auth.login(manager)
    return manager


# The section ----------------------------------------------------------------------------


def test_the_section_shows_both_directions_with_date_outcome_reason_and_note(client, team,
                                                                             staff):
    dla = _partner("DLA 35", kind="state")
    tag = _partner("TAg 35", kind="ess_network")
    _referral(team.project, tag, outcome="taken_up")
    _referral(team.project, dla, direction="incoming", referred_on=date(2024, 11, 2),
              reason="Envoyé par le DLA", outcome_note="")
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    section = html[html.index(f'id="referrals-project-{team.project.id}"'):]
    assert "Referred to TAg 35" in section and "Referred by DLA 35" in section
    assert "Taken up" in section and "Pending" in section
    assert "Besoin d’un prêt d’honneur" in section and "Rendez-vous pris" in section
    assert "Envoyé par le DLA" in section
    assert section.index("TAg 35") < section.index("DLA 35")  # latest first
    assert "Add a referral" in section


def test_the_section_in_french(client, team, staff):
    _referral(team.project, _partner("TAg 35"), outcome="unknown")
    html = client.get(f"/projects/{team.project.id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Orienté vers TAg 35" in html and "Sans nouvelles" in html


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_holders_and_mentors_see_where_not_why(client, team, auth, role):
    partner = _partner("CAE Vilaine Entreprendre")
    referral = _referral(team.project, partner, reason="Raison interne",
                         outcome_note="Note interne")
    if role == "holder":
        user = team.holder
    else:
        user = factories.user(role="mentor")
        organisation = create_organisation(None, name="Coop Bois", family="cooperative",
                                           contacts=({"name": "Anne Briand"},))
        contact = db.session.scalars(select(OrganisationContact)).first()
        contact.user_id = user.id
        db.session.add(Mentorship(project_id=team.project.id, organisation_id=organisation.id,
                                  contact_id=contact.id, role="sponsor",
                                  started_on=date(2025, 1, 6)))
        db.session.commit()
    auth.login(user)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Referred to CAE Vilaine Entreprendre" in html and "Pending" in html
    assert "Raison interne" not in html and "Note interne" not in html
    assert "Add a referral" not in html
    base = f"/projects/{team.project.id}/referrals"
    assert client.get(f"{base}/new").status_code == 403
    assert client.post(base, data={"partner_id": partner.id, "direction": "outgoing",
                                   "referred_on": "2025-01-01", "outcome": "pending"}
                       ).status_code == 403
    assert client.get(f"{base}/{referral.id}/edit").status_code == 403
    assert client.post(f"{base}/{referral.id}/edit", data={"outcome": "declined",
                                                           "version": 1}).status_code == 403
    assert client.post(f"{base}/{referral.id}/delete", data={"version": 1, "confirm": "1"}
                       ).status_code == 403
    assert _count(Referral) == 1 and db.session.get(Referral, referral.id).outcome == "pending"


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_others_projects_are_404_to_holders_and_mentors(client, login, role):
    login(role)
    project = factories.project()
    referral = _referral(project, _partner())
    base = f"/projects/{project.id}/referrals"
    for method, url in (("GET", f"{base}/new"), ("POST", base),
                        ("GET", f"{base}/{referral.id}/edit"),
                        ("POST", f"{base}/{referral.id}/edit"),
                        ("POST", f"{base}/{referral.id}/delete")):
        for htmx in (False, True):
            assert client.open(url, method=method, htmx=htmx).status_code == 404, (method, url)


def test_every_referral_route_asks_anonymous_visitors_to_log_in(client, team):
    referral = _referral(team.project, _partner())
    base = f"/projects/{team.project.id}/referrals"
    for method, url in (("GET", f"{base}/new"), ("POST", base),
                        ("GET", f"{base}/{referral.id}/edit"),
                        ("POST", f"{base}/{referral.id}/edit"),
                        ("POST", f"{base}/{referral.id}/delete")):
        assert client.open(url, method=method).status_code == 302
        response = client.open(url, method=method, htmx=True)
        assert response.status_code == 401 and "HX-Redirect" in response.headers


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_advisors_and_managers_use_every_referral_route(client, login, role):
    login(role)
    project = factories.project()
    partner = _partner()
    referral = _referral(project, partner)
    base = f"/projects/{project.id}/referrals"
    assert client.get(f"{base}/new").status_code == 200
    assert client.get(f"{base}/{referral.id}/edit").status_code == 200
    response = client.post(base, data=_add_data(client, project, partner))
    assert response.status_code == 303
    response = client.post(f"{base}/{referral.id}/edit",
                           data={"outcome": "taken_up", "reason": "", "version": 1})
    assert response.status_code == 303
    response = client.post(f"{base}/{referral.id}/delete", data={"version": 2, "confirm": "1"})
    assert response.status_code == 303 and _count(Referral) == 1


# Adding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_the_add_form_lists_partners_not_archived_in_french_order_today_by_default(
        client, team, staff, htmx):
    _partner("Région Bretagne", kind="region")
    _partner("ADIE")
    _partner("Banque Archivée", archived_at=utcnow())
    organisation = create_organisation(None, name="Élan Coop", family="cooperative")
    db.session.add(Partner(organisation_id=organisation.id, kind="ess_network"))
    db.session.commit()
    response = client.get(f"/projects/{team.project.id}/referrals/new", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert ("<html" in html) is (not htmx) and 'id="referral-form"' in html
    assert "Banque Archivée" not in html
    assert html.index("ADIE") < html.index("Élan Coop") < html.index("Région Bretagne")
    today = services.pole_today(utcnow()).isoformat()
    assert f'value="{today}"' in html
    assert '<option selected value="pending">' in html or 'value="pending" selected' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_add_a_referral_recorded_on_the_timeline_once(client, team, staff, htmx):
    partner = _partner()
    project = team.project
    data = _add_data(client, project, partner, direction="incoming", outcome="taken_up",
                     outcome_note="Suivi par le DLA")
    response = client.post(f"/projects/{project.id}/referrals", data=data, htmx=htmx)
    anchor = f"/projects/{project.id}#referrals-project-{project.id}"
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == anchor
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith(anchor)
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.partner_id, referral.direction, referral.referred_on, referral.reason,
            referral.outcome, referral.outcome_note, referral.created_by_id) == (
        partner.id, "incoming", date(2025, 3, 4), "Un financement solidaire", "taken_up",
        "Suivi par le DLA", staff.id)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "referral_added")).one()
    assert event.partner_id == partner.id
    assert event.detail["partner"] == "France Active Bretagne"
    assert (event.detail["direction"], event.detail["outcome"]) == ("incoming", "taken_up")
    assert "reason" not in event.detail
    history = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Referred by France Active Bretagne (Taken up)" in history
    # The same form again (double click, resend): one referral.
    again = client.post(f"/projects/{project.id}/referrals", data=data)
    assert again.status_code == 303 and _count(Referral) == 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"partner_id": ""}, "Choose the partner body."),
    ({"direction": "sideways"}, "Choose one of the options offered"),
    ({"outcome": "maybe"}, "Choose one of the options offered"),
    ({"referred_on": "demain"}, "Enter a date"),
    ({"referred_on": (date.today() + timedelta(days=3)).isoformat()}, "until today"),
    ({"reason": "x" * 2001}, "At most 2000 characters."),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_referral_comes_back_with_its_errors_and_nothing_written(
        client, team, staff, overrides, message, htmx):
    partner = _partner()
    response = client.post(f"/projects/{team.project.id}/referrals", htmx=htmx,
                           data=_add_data(client, team.project, partner, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "data-error-summary" in html
    assert message in html and 'id="referral-form"' in html
    assert _count(Referral) == 0 and _count(ProjectEvent, ProjectEvent.kind.like("referral%")) == 0


def test_an_archived_or_unknown_partner_is_refused(client, team, staff):
    partner = _partner()
    data = _add_data(client, team.project, partner)
    partner.archived_at = utcnow()
    db.session.commit()
    response = client.post(f"/projects/{team.project.id}/referrals", data=data)
    assert response.status_code == 422 and _count(Referral) == 0
    response = client.post(f"/projects/{team.project.id}/referrals",
                           data=_add_data(client, team.project, _partner("X"),
                                          partner_id=999_999))
    assert response.status_code == 422 and _count(Referral) == 0


def test_the_service_refuses_an_archived_partner_and_a_future_date(app, team):
    partner = _partner(archived_at=utcnow())
    with app.test_request_context(headers={"Accept-Language": "en"}):
        _refused(team, partner)


def _refused(team, partner):
    with pytest.raises(services.ReferralError, match="archived"):
        services.refer(team.advisor, team.project, partner, direction="outgoing",
                       referred_on=date(2025, 1, 1))
    partner.archived_at = None
    with pytest.raises(services.ReferralError, match="until today"):
        services.refer(team.advisor, team.project, partner, direction="outgoing",
                       referred_on=date.today() + timedelta(days=2))
    with pytest.raises(services.ReferralError):
        services.refer(team.advisor, team.project, partner, direction="up",
                       referred_on=date(2025, 1, 1))


# Changing -------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_change_the_outcome_version_checked_409_keeps_the_input(client, team, staff,
                                                                      htmx):
    referral = _referral(team.project, _partner())
    url = f"/projects/{team.project.id}/referrals/{referral.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="version" value="1"' in page and "Rendez-vous pris" in page
    response = client.post(url, htmx=htmx, data={"outcome": "declined", "version": 1,
                                                 "outcome_note": "Pas de place",
                                                 "reason": "Besoin d’un prêt d’honneur"})
    assert response.status_code == (204 if htmx else 303)
    referral = db.session.get(Referral, referral.id)
    assert (referral.outcome, referral.outcome_note, referral.version) == (
        "declined", "Pas de place", 2)
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "referral_changed")).one()
    assert (event.detail["outcome"], event.detail["from_outcome"]) == ("declined", "pending")
    assert event.partner_id == referral.partner_id
    # A page opened before that change: 409, the user's input kept, nothing written.
    stale = client.post(url, htmx=htmx, data={"outcome": "taken_up", "version": 1,
                                              "outcome_note": "Ma note à moi", "reason": ""})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone changed this referral" in html
    assert "Ma note à moi" in html and 'name="version" value="2"' in html
    assert db.session.get(Referral, referral.id).outcome == "declined"
    # Nothing changed: nothing written.
    same = client.post(url, data={"outcome": "declined", "version": 2,
                                  "outcome_note": "Pas de place",
                                  "reason": "Besoin d’un prêt d’honneur"})
    assert same.status_code == 303 and db.session.get(Referral, referral.id).version == 2
    assert _count(ProjectEvent, ProjectEvent.kind == "referral_changed") == 1


def test_a_bad_change_is_422(client, team, staff):
    referral = _referral(team.project, _partner())
    url = f"/projects/{team.project.id}/referrals/{referral.id}/edit"
    response = client.post(url, data={"outcome": "lost", "version": 1})
    assert response.status_code == 422 and "data-error-summary" in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).version == 1


def test_another_projects_referral_id_is_404(client, team, staff):
    other = factories.project()
    referral = _referral(other, _partner())
    base = f"/projects/{team.project.id}/referrals/{referral.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/edit", data={"outcome": "declined", "version": 1}
                       ).status_code == 404
    assert client.post(f"{base}/delete", data={"version": 1, "confirm": "1"}).status_code == 404
    assert _count(Referral) == 1 and db.session.get(Referral, referral.id).outcome == "pending"
    assert client.get(f"/projects/{team.project.id}/referrals/999/edit").status_code == 404


# Deleting -------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_deleting_asks_first_then_deletes_and_keeps_the_event(client, team, staff, htmx):
    referral = _referral(team.project, _partner())
    url = f"/projects/{team.project.id}/referrals/{referral.id}/delete"
    asked = client.post(url, data={"version": 1}, htmx=htmx)
    assert asked.status_code == 200 and "Delete this referral (France Active Bretagne)?" in \
        asked.get_data(as_text=True)
    assert _count(Referral) == 1
    response = client.post(url, data={"version": 1, "confirm": "1"}, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "HX-Request" in response.vary
        assert f'id="referrals-project-{team.project.id}"' in html and "<html" not in html
        assert "No referral" in html and "project-changed" in response.headers["HX-Trigger"]
    else:
        assert response.status_code == 303
    assert _count(Referral) == 0
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "referral_deleted")).one()
    assert event.detail["partner"] == "France Active Bretagne"
    page = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Referral (France Active Bretagne) deleted" in page


def test_deleting_a_changed_referral_is_refused(client, team, staff):
    referral = _referral(team.project, _partner())
    url = f"/projects/{team.project.id}/referrals/{referral.id}/delete"
    response = client.post(url, data={"version": 7, "confirm": "1"})
    assert response.status_code == 303 and _count(Referral) == 1
    # Deleted twice (two tabs): the second is 404.
    client.post(url, data={"version": 1, "confirm": "1"})
    assert client.post(url, data={"version": 1, "confirm": "1"}).status_code == 404


# Closing a project as redirected --------------------------------------------------------


def _close(client, project, htmx=False, **data):
    values = {"outcome": "redirected", "reason": "Projet mieux accompagné par la CAE",
              "version": project.version}
    values.update(data)
    return client.post(f"/projects/{project.id}/close", data=values, htmx=htmx)


@pytest.mark.parametrize("htmx", [False, True])
def test_closing_as_redirected_records_the_close_and_the_referral(client, team, staff, htmx):
    cae = _partner("CAE Vilaine Entreprendre", kind="other")
    project = team.project
    response = _close(client, project, htmx=htmx, partner_id=cae.id)
    assert response.status_code in (200, 303), response.data
    project = db.session.get(Project, project.id)
    assert (project.status, project.outcome) == ("closed", "redirected")
    change = db.session.scalars(select(StatusChange).where(
        StatusChange.to_status == "closed")).one()
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.partner_id, referral.direction, referral.outcome, referral.reason) == (
        cae.id, "outgoing", "pending", "Projet mieux accompagné par la CAE")
    assert referral.referred_on == services.pole_today(change.changed_at)
    assert _count(ProjectEvent, ProjectEvent.kind == "referral_added") == 1


def test_closing_as_redirected_to_a_body_not_in_the_list_creates_it(client, team, staff):
    response = _close(client, team.project, new_partner="  Coopérative  Ozcar ")
    assert response.status_code == 303
    partner = db.session.scalars(select(Partner)).one()
    assert (partner.name, partner.kind, partner.created_by_id) == (
        "Coopérative Ozcar", "other", staff.id)
    assert db.session.scalars(select(Referral)).one().partner_id == partner.id


def test_closing_as_redirected_to_a_body_typed_again_by_name_reuses_its_partner(
        client, team, staff):
    # Typed in the "not in the list" field rather than chosen: never a second partner.
    known = _partner("TAg 35 — propulseur d’entrepreneuriat collectif")
    organisation = create_organisation(None, name="Coopérative Oust et Vilaine",
                                       family="cooperative")
    member = Partner(organisation_id=organisation.id, kind="ess_network")
    db.session.add(member)
    db.session.commit()
    response = _close(client, team.project, new_partner="  tag 35 - Propulseur "
                      "d'entrepreneuriat collectif ")
    assert response.status_code == 303
    project = db.session.get(Project, team.project.id)
    project.status = "active"
    db.session.commit()
    response = _close(client, project, new_partner="COOPERATIVE OUST ET VILAINE")
    assert response.status_code == 303
    assert _count(Partner) == 2
    assert [r.partner_id for r in db.session.scalars(
        select(Referral).order_by(Referral.id))] == [known.id, member.id]


@pytest.mark.parametrize("name", ["\u200b", "\u200f\u200b "])
def test_closing_as_redirected_to_a_body_with_an_invisible_name_is_refused(client, team,
                                                                         staff, name):
    response = _close(client, team.project, new_partner=name)
    assert response.status_code == 422
    # The form's strip drops zero-width padding (the name is then missing altogether); a
    # direction mark it keeps, and the referral service refuses the name.
    html = response.get_data(as_text=True)
    assert ("Choose the body the project is redirected to, or enter its name." in html
            or "Enter the name of the partner body." in html)
    assert _count(Partner) == 0 and _count(Referral) == 0
    assert db.session.get(Project, team.project.id).status == "active"


def test_closing_as_redirected_to_an_archived_body_typed_by_name_is_refused(client, team,
                                                                          staff):
    partner = _partner("DLA 35")
    partner.archived_at = utcnow()
    db.session.commit()
    response = _close(client, team.project, new_partner="dla 35")
    assert response.status_code == 422
    assert "DLA 35 is archived" in response.get_data(as_text=True)
    assert _count(Partner) == 1 and _count(Referral) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_closing_as_redirected_without_a_partner_is_422_and_writes_nothing(client, team,
                                                                         staff, htmx):
    _partner()
    response = _close(client, team.project, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose the body the project is redirected to" in html
    assert db.session.get(Project, team.project.id).status == "active"
    assert _count(Referral) == 0 and _count(StatusChange, StatusChange.to_status == "closed") == 0


def test_closing_as_redirected_to_a_partner_archived_since_writes_nothing(client, team, staff):
    partner = _partner()
    partner.archived_at = utcnow()
    db.session.commit()
    response = _close(client, team.project, partner_id=partner.id)
    assert response.status_code == 422
    assert db.session.get(Project, team.project.id).status == "active"
    assert _count(Referral) == 0 and _count(StatusChange, StatusChange.to_status == "closed") == 0


def test_closing_otherwise_records_no_referral_even_with_a_partner_chosen(client, team, staff):
    partner = _partner()
    response = _close(client, team.project, outcome="abandoned", partner_id=partner.id)
    assert response.status_code == 303
    assert db.session.get(Project, team.project.id).status == "closed"
    assert _count(Referral) == 0


def test_the_close_form_offers_the_partners_with_its_hint(client, team, staff):
    _partner("DLA 35")
    html = client.get(f"/projects/{team.project.id}/move").get_data(as_text=True)
    assert "Redirected to" in html and "DLA 35" in html
    assert "If redirected: the support body that takes the project on." in html
    html = client.get(f"/projects/{team.project.id}/move",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Si orienté" in html


def test_a_stale_close_as_redirected_writes_nothing(client, team, staff):
    partner = _partner()
    response = _close(client, team.project, partner_id=partner.id, version=99)
    assert response.status_code == 409
    assert _count(Referral) == 0 and _count(Partner) == 1


# Hostile text, statement counts, the partner's read ----------------------------------------


def test_hostile_text_in_every_field_stays_text(client, team, staff):
    markers = Markers()
    partner = _partner(markers("partner name"))
    organisation = create_organisation(None, name=markers("organisation name"),
                                       family="cooperative")
    linked = Partner(organisation_id=organisation.id, kind="other")
    db.session.add(linked)
    db.session.commit()
    for chosen in (partner, linked):
        response = client.post(f"/projects/{team.project.id}/referrals", data=_add_data(
            client, team.project, chosen, reason=markers("reason"),
            outcome_note=markers("outcome note")))
        assert response.status_code == 303
    _close(client, team.project, new_partner=markers("new partner", 200),
           reason=markers("close reason"))
    referral = db.session.scalars(select(Referral)).first()
    pages = [client.get(f"/projects/{team.project.id}"),
             client.get(f"/projects/{team.project.id}/referrals/new"),
             client.get(f"/projects/{team.project.id}/referrals/{referral.id}/edit"),
             client.post(f"/projects/{team.project.id}/referrals/{referral.id}/delete",
                         data={"version": 1})]
    seen = ""
    for response in pages:
        assert response.status_code == 200
        problems, text = check_html(response.get_data(as_text=True), markers.pattern())
        assert problems == []
        seen += text
    for marker in markers.fields:
        assert marker in seen, markers.fields[marker]


def test_the_section_costs_the_same_statements_whatever_the_number_of_referrals(
        client, team, staff):
    url = f"/projects/{team.project.id}"

    def cost() -> int:
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    partner = _partner()
    _referral(team.project, partner)
    small = cost()
    organisation = create_organisation(None, name="Élan Coop", family="cooperative")
    linked = Partner(organisation_id=organisation.id, kind="other")
    db.session.add(linked)
    db.session.commit()
    for n in range(8):
        _referral(team.project, linked if n % 2 else _partner(f"Partenaire {n}"))
    assert cost() == small


def test_the_forms_cost_the_same_statements_whatever_the_number_of_partners(
        client, team, staff):
    referral = _referral(team.project, _partner())
    urls = [f"/projects/{team.project.id}/referrals/new",
            f"/projects/{team.project.id}/referrals/{referral.id}/edit",
            f"/projects/{team.project.id}/move"]

    def cost(url) -> int:
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    small = [cost(url) for url in urls]
    for n in range(6):
        organisation = create_organisation(None, name=f"Coop {n}", family="cooperative")
        db.session.add(Partner(organisation_id=organisation.id, kind="other"))
        _partner(f"Partenaire {n}")
    assert [cost(url) for url in urls] == small


def test_for_partner_lists_both_ways_on_the_projects_the_user_may_see(app, team):
    partner = _partner()
    other = factories.project()
    _referral(team.project, partner, referred_on=date(2025, 1, 2))
    _referral(other, partner, direction="incoming", referred_on=date(2025, 2, 3))
    partner_id, advisor, title = partner.id, team.advisor, other.title
    assert advisor.is_staff
    with current_app.test_request_context(), count_statements() as statements:
        rows = queries.for_partner(partner_id, advisor)
        assert [(r.project.title, r.referral.direction) for r in rows] == [
            (title, "incoming"), ("Épicerie vrac", "outgoing")]
    assert len(statements) == 1
    rows = queries.for_partner(partner.id, team.holder)
    assert [r.project.id for r in rows] == [team.project.id]


def test_the_demo_has_the_redirected_projects_referral_and_others_both_ways(app):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    rows = db.session.execute(
        select(Project.title, Project.outcome, Partner.name, Referral.direction,
               Referral.outcome, Referral.referred_on)
        .join(Referral, Referral.project_id == Project.id)
        .join(Partner, Partner.id == Referral.partner_id)).all()
    redirected = {title for title in db.session.scalars(
        select(Project.title).where(Project.outcome == "redirected"))}
    assert redirected and redirected <= {row[0] for row in rows if row[3] == "outgoing"}
    assert ("incoming", "DLA d’Ille-et-Vilaine") in {(row[3], row[2]) for row in rows}
    assert "pending" in {row[4] for row in rows}
    assert all(row[5] <= date.today() + timedelta(days=1) for row in rows)
    assert _count(ProjectEvent, ProjectEvent.kind == "referral_added",
                  ProjectEvent.partner_id.is_not(None)) == len(rows)
