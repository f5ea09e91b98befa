"""Committees (issue 11): sittings, people sitting, the agenda, reviews (decision, scores,
conditions, sharing), the comparison with its averages, the one-click move after a decision,
the criteria, the project page's section and timeline, and who may do what."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from incubator.committees import queries, services
from incubator.extensions import db
from incubator.lists import services as lists
from incubator.members.services import create_organisation
from incubator.models import (
    CommitteeCriterion,
    CommitteeReview,
    CommitteeScore,
    CommitteeSeat,
    CommitteeSitting,
    Mentorship,
    OrganisationContact,
    Partner,
    PartnerContact,
    ProjectEvent,
    ReferenceListChange,
    StageMove,
    User,
)
from incubator.reference import committee_criteria

from . import factories
from .helpers import count_statements

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _sitting(name="Comité de sélection", held_on=date(2026, 3, 12), **fields):
    sitting = services.create_sitting(None, name=name, held_on=held_on, **fields)
    db.session.commit()
    return sitting


def _on_agenda(sitting, project) -> CommitteeReview:
    review = services.add_to_agenda(None, sitting, project)
    db.session.commit()
    return review


def _criteria() -> list[CommitteeCriterion]:
    return committee_criteria()


CRITERIA = lists.LISTS["criteria"]
LIST_URL = "/admin/lists/criteria"


def _order() -> str:
    """The criteria's ids in order, as the lists page's move forms carry them."""
    return ",".join(str(each.id) for each in db.session.scalars(
        select(CommitteeCriterion).order_by(CommitteeCriterion.position, CommitteeCriterion.id)))


def _manager():
    """Someone to record the criteria's changes (the lists' services need a who)."""
    found = db.session.scalar(select(User).where(User.email == "gerante@example.org"))
    return found or factories.user(role="manager", email="gerante@example.org")


def _add_criterion(name: str, name_en: str = "") -> CommitteeCriterion:
    return lists.add_item(CRITERIA, _manager(), name=name, name_en=name_en)


def _retire(criterion: CommitteeCriterion) -> None:
    lists.set_active(CRITERIA, criterion, _manager(), False)


def _list_token(client) -> str:
    return TOKEN.search(client.get(LIST_URL).get_data(as_text=True)).group(1)


def _score(sitting, review, decision="go", values=(), **fields) -> None:
    criteria = _criteria()
    scores = {c.id: v for c, v in zip(criteria, values, strict=False)}
    services.save_review(None, sitting, review, review.version, decision=decision,
                         scores=scores, **fields)
    db.session.commit()


def _review_data(review, decision="go", scores=(), **fields) -> dict:
    data = {"decision": decision, "version": str(review.version), "conditions": "",
            "comments": ""}
    for criterion, value in zip(_criteria(), scores, strict=False):
        data[f"score_{criterion.id}"] = str(value)
    data.update(fields)
    return data


def committee_world(project) -> dict[str, int]:
    """A sitting with ``project`` on its agenda, scored, and someone sitting (for the route
    crawl): the ids its URLs need."""
    sitting = _sitting()
    review = _on_agenda(sitting, project)
    _score(sitting, review, "go", (3, 4))
    seat = services.add_seat(sitting, name="Gaëlle Morvan")
    db.session.commit()
    return {"sitting_id": sitting.id, "review_id": review.id, "seat_id": seat.id,
            "criterion_id": _criteria()[0].id}


@pytest.fixture
def staff(login):
    return login("advisor")


# Who may do what -------------------------------------------------------------------------


def _urls(sitting, review, seat) -> list[tuple[str, str]]:
    s = f"/committees/{sitting.id}"
    return [("GET", "/committees"), ("GET", "/committees/new"), ("GET", s),
            ("GET", f"{s}/edit"), ("GET", f"{s}/agenda"),
            ("GET", f"{s}/reviews/{review.id}"),
            ("POST", f"{s}/archive"), ("POST", f"{s}/delete"), ("POST", f"{s}/seats"),
            ("POST", f"{s}/seats/{seat.id}/delete"), ("POST", f"{s}/agenda"),
            ("POST", f"{s}/agenda/{review.id}/move"), ("POST", f"{s}/agenda/{review.id}/delete"),
            ("POST", f"{s}/reviews/{review.id}"), ("POST", f"{s}/reviews/{review.id}/stage")]


def _criteria_urls() -> list[tuple[str, str]]:
    """The former criteria page (a redirect now) and the lists' criteria routes."""
    c = _criteria()[0].id
    return [("GET", "/committees/criteria"), ("GET", LIST_URL), ("POST", LIST_URL),
            ("POST", f"{LIST_URL}/{c}/rename"), ("POST", f"{LIST_URL}/{c}/move"),
            ("POST", f"{LIST_URL}/{c}/active"), ("POST", f"{LIST_URL}/{c}/delete")]


@pytest.fixture
def sitting_set(app, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    seat = services.add_seat(sitting, name="Mme Le Goff")
    db.session.commit()
    return sitting, review, seat


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_holders_and_mentors_may_not_use_committees(client, login, sitting_set, role):
    login(role)
    for method, url in _urls(*sitting_set) + _criteria_urls():
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)
    assert _count(CommitteeSeat) == 1 and _count(CommitteeReview) == 1


def test_anonymous_visitors_are_sent_to_the_login_page(client, sitting_set):
    for method, url in _urls(*sitting_set) + _criteria_urls():
        response = client.open(url, method=method)
        assert response.status_code in (302, 303), (method, url)
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_staff_read_every_committee_page(client, login, sitting_set, role):
    login(role)
    for method, url in _urls(*sitting_set):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_only_managers_keep_the_criteria(client, login, app):
    login("advisor")
    for method, url in _criteria_urls():
        assert client.open(url, method=method).status_code == 403, url
    assert "/admin/lists/criteria" not in client.get("/committees").get_data(as_text=True)
    client.post("/auth/logout")
    login("manager")
    assert client.get(LIST_URL).status_code == 200


def test_the_former_criteria_page_redirects_for_good_to_the_lists_page(client, login):
    login("manager")
    response = client.get("/committees/criteria")
    assert response.status_code == 308 and response.headers["Location"] == LIST_URL
    assert "HX-Request" in response.headers["Vary"]
    response = client.get("/committees/criteria", htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == LIST_URL
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/committees/criteria", follow_redirects=True).get_data(as_text=True)
    assert "Committee criteria" in page and 'id="reference-list"' in page


def test_the_committees_criteria_button_opens_the_lists_page(client, login):
    login("manager")
    html = client.get("/committees").get_data(as_text=True)
    assert f'href="{LIST_URL}"' in html
    assert 'href="/committees/criteria"' not in html


def test_the_former_criteria_forms_are_gone(client, login):
    login("manager")
    c = _criteria()[0]
    before = [(x.id, x.name, x.position, x.active) for x in _criteria()]
    assert client.post("/committees/criteria", data={"name": "Impact"}).status_code == 405
    for action, data in (("rename", {f"c{c.id}-name": "Autre"}), ("move", {"direction": "down"}),
                         ("active", {"active": "0"}), ("delete", {"confirm": "1"})):
        response = client.post(f"/committees/criteria/{c.id}/{action}", data=data)
        assert response.status_code == 404, action
    db.session.expire_all()
    assert [(x.id, x.name, x.position, x.active) for x in _criteria()] == before


def test_the_header_links_committees_for_staff_only(client, login):
    login("holder")
    assert "/committees" not in client.get("/projects/mine").get_data(as_text=True)
    client.post("/auth/logout")
    login("advisor")
    assert 'href="/committees"' in client.get("/board").get_data(as_text=True)


# The list ------------------------------------------------------------------------------


def test_the_list_shows_upcoming_sittings_first_then_past_ones_newest_first(
        client, staff):
    today = date.today()
    _sitting("Comité passé ancien", today - timedelta(days=90))
    _sitting("Comité prochain lointain", today + timedelta(days=60))
    _sitting("Comité passé récent", today - timedelta(days=10))
    _sitting("Comité prochain", today + timedelta(days=5))
    html = client.get("/committees").get_data(as_text=True)
    order = [html.index(name) for name in ("Comité prochain<", "Comité prochain lointain",
                                           "Comité passé récent", "Comité passé ancien")]
    assert order == sorted(order)


def test_the_list_searches_by_name_and_hides_archived_sittings_unless_asked(client, staff):
    _sitting("Comité d'appui", place="Redon")
    archived = _sitting("Comité de sélection ancien")
    services.set_archived(archived, True, archived.version)
    db.session.commit()
    html = client.get("/committees").get_data(as_text=True)
    assert "appui" in html and "sélection ancien" not in html
    html = client.get("/committees?archived=1").get_data(as_text=True)
    assert "sélection ancien" in html
    html = client.get("/committees?q=APPUI").get_data(as_text=True)
    assert "appui" in html and "sélection" not in html.split('id="committee-results"')[1]


def test_the_live_search_answers_htmx_with_the_results_fragment(client, staff):
    _sitting("Comité d'appui")
    response = client.get("/committees?q=appui", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="committee-results"')
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]
    plain = client.get("/committees?q=appui")
    assert "<html" in plain.get_data(as_text=True)
    assert "HX-Request" in plain.headers["Vary"]


def test_the_list_is_paginated(client, staff):
    for i in range(queries.PER_PAGE + 2):
        services.create_sitting(None, name=f"Comité {i}", held_on=date(2025, 1, 1))
    db.session.commit()
    html = client.get("/committees").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert client.get("/committees?page=2").status_code == 200


def test_the_list_costs_the_same_statements_whatever_the_number_of_sittings(client, staff,
                                                                            team):
    def cost() -> int:
        with count_statements() as statements:
            assert client.get("/committees").status_code == 200
        return len(statements)

    sitting = _sitting()
    _on_agenda(sitting, team.project)
    one = cost()
    for i in range(5):
        other = _sitting(f"Comité {i}")
        _on_agenda(other, factories.project())
    assert cost() == one


# Creating, editing, archiving, deleting --------------------------------------------------


def test_a_sitting_is_created_once_even_when_the_form_is_sent_twice(client, staff):
    html = client.get("/committees/new").get_data(as_text=True)
    assert "Comité de sélection" in html and 'id="committee-names"' in html
    token = TOKEN.search(html).group(1)
    data = {"held_on": "2026-03-12", "name": "Comité d'appui", "place": "Redon",
            "notes": "Salle du conseil", "form_token": token}
    first = client.post("/committees/new", data=data)
    assert first.status_code == 303
    again = client.post("/committees/new", data=data)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _count(CommitteeSitting) == 1
    sitting = db.session.scalar(select(CommitteeSitting))
    assert (sitting.name, sitting.place, sitting.held_on) == ("Comité d'appui", "Redon",
                                                             date(2026, 3, 12))


def test_a_sitting_without_a_name_or_date_is_refused_with_422(client, staff):
    response = client.post("/committees/new", data={"held_on": "", "name": ""})
    assert response.status_code == 422
    assert "Name the committee." in response.get_data(as_text=True)
    response = client.post("/committees/new", data={"held_on": "12/03", "name": "X"},
                           htmx=True)
    assert response.status_code == 422
    assert _count(CommitteeSitting) == 0


def test_creating_answers_htmx_with_hx_redirect(client, staff):
    response = client.post("/committees/new", data={"held_on": "2026-03-12", "name": "C"},
                           htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith(
        "/committees/")


def test_an_edit_from_a_stale_page_is_refused_with_409_keeping_the_input(client, staff):
    sitting = _sitting()
    seen = sitting.version
    services.update_sitting(sitting, seen, name="Comité renommé", held_on=sitting.held_on,
                            place="", notes="")
    db.session.commit()
    response = client.post(f"/committees/{sitting.id}/edit", data={
        "held_on": "2026-03-12", "name": "Mon nom à moi", "version": str(seen)})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Mon nom à moi" in html and "Comité renommé" in html
    db.session.refresh(sitting)
    assert sitting.name == "Comité renommé"
    response = client.post(f"/committees/{sitting.id}/edit", data={
        "held_on": "2026-03-13", "name": "Mon nom à moi", "version": str(sitting.version)})
    assert response.status_code == 303
    db.session.refresh(sitting)
    assert (sitting.name, sitting.held_on) == ("Mon nom à moi", date(2026, 3, 13))


def test_a_sitting_with_projects_on_its_agenda_cannot_be_deleted_but_archived(
        client, staff, team):
    sitting = _sitting()
    _on_agenda(sitting, team.project)
    response = client.post(f"/committees/{sitting.id}/delete",
                           data={"confirm": "1", "version": str(sitting.version)})
    assert response.status_code == 409
    assert "Archive it instead" in response.get_data(as_text=True)
    assert _count(CommitteeSitting) == 1
    response = client.post(f"/committees/{sitting.id}/archive",
                           data={"archived": "1", "confirm": "1",
                                 "version": str(sitting.version)})
    assert response.status_code == 303
    db.session.refresh(sitting)
    assert sitting.is_archived


def test_an_empty_sitting_is_deleted_after_confirmation(client, staff):
    sitting = _sitting()
    services.add_seat(sitting, name="Jean Dupont")
    db.session.commit()
    asked = client.post(f"/committees/{sitting.id}/delete",
                        data={"version": str(sitting.version)})
    assert asked.status_code == 200 and _count(CommitteeSitting) == 1
    done = client.post(f"/committees/{sitting.id}/delete",
                       data={"confirm": "1", "version": str(sitting.version)})
    assert done.status_code == 303
    assert _count(CommitteeSitting) == 0 and _count(CommitteeSeat) == 0


# People sitting --------------------------------------------------------------------------


def test_people_sit_from_a_partner_an_organisation_or_by_name_and_keep_their_name(
        client, staff):
    sitting = _sitting()
    partner = Partner(name="Région Bretagne", kind="region")
    partner.contacts.append(PartnerContact(name="Gaëlle Morvan", role="Chargée de mission"))
    db.session.add(partner)
    organisation = create_organisation(None, name="SCIC Manger Local", family="cooperative",
                                       is_member=True,
                                       contacts=({"name": "Solenn Le Bihan"},))
    db.session.commit()
    p_contact = db.session.scalar(select(PartnerContact))
    o_contact = db.session.scalar(select(OrganisationContact))
    page = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    assert "Gaëlle Morvan (Région Bretagne)" in page
    assert "Solenn Le Bihan (SCIC Manger Local)" in page
    url = f"/committees/{sitting.id}/seats"
    assert client.post(url, data={"person": f"p{p_contact.id}"}).status_code == 303
    assert client.post(url, data={"person": f"o{o_contact.id}", "role": "Présidente"}
                       ).status_code == 303
    assert client.post(url, data={"name": "Jean Dupont", "body": f"p{partner.id}"}
                       ).status_code == 303
    seats = list(db.session.scalars(select(CommitteeSeat).order_by(CommitteeSeat.id)))
    assert [(s.name, s.role, s.partner_id, s.organisation_id) for s in seats] == [
        ("Gaëlle Morvan", "Chargée de mission", partner.id, None),
        ("Solenn Le Bihan", "Présidente", None, organisation.id),
        ("Jean Dupont", "", partner.id, None)]
    p_contact.name = "Gaëlle Morvan-Le Du"
    db.session.commit()
    db.session.refresh(seats[0])
    assert seats[0].name == "Gaëlle Morvan"
    response = client.post(f"{url}/{seats[2].id}/delete", data={"confirm": "1"})
    assert response.status_code == 303 and _count(CommitteeSeat) == 2


def test_a_seat_needs_a_person_or_a_name_and_unknown_ids_are_refused(client, staff):
    sitting = _sitting()
    url = f"/committees/{sitting.id}/seats"
    response = client.post(url, data={"name": "", "person": ""})
    assert response.status_code == 422
    assert "Choose a contact person or enter a name." in response.get_data(as_text=True)
    assert client.post(url, data={"person": "p999"}).status_code == 404
    assert client.post(url, data={"name": "X", "body": "o999"}).status_code == 404
    assert client.post(url, data={"name": "X", "body": "zz"}).status_code == 404
    other = _sitting("Autre")
    seat = services.add_seat(other, name="Quelqu'un")
    db.session.commit()
    assert client.post(f"{url}/{seat.id}/delete", data={"confirm": "1"}).status_code == 404
    assert _count(CommitteeSeat) == 1


def test_a_seat_is_only_taken_by_someone_the_form_offers(client, staff):
    sitting = _sitting()
    outsider = create_organisation(None, name="Radio Vilaine FM", family="association",
                                   is_member=False, contacts=({"name": "Yves Le Roux"},))
    archived = Partner(name="Ancien financeur", kind="other", archived_at=func.now())
    contact = PartnerContact(name="Anne Perrin")
    archived.contacts.append(contact)
    db.session.add(archived)
    db.session.commit()
    o_contact = db.session.scalar(select(OrganisationContact).where(
        OrganisationContact.organisation_id == outsider.id))
    url = f"/committees/{sitting.id}/seats"
    for data in ({"person": f"o{o_contact.id}"}, {"person": f"p{contact.id}"},
                 {"name": "Intrus", "body": f"o{outsider.id}"},
                 {"name": "Intrus", "body": f"p{archived.id}"}):
        assert client.post(url, data=data).status_code == 404, data
    assert _count(CommitteeSeat) == 0


# The agenda ------------------------------------------------------------------------------


def test_projects_in_progress_or_paused_are_found_and_put_on_the_agenda(client, staff):
    sitting = _sitting()
    active = factories.project(title="Épicerie vrac de Redon")
    paused = factories.project(title="Recyclerie de Pipriac", status="paused")
    factories.project(title="Ancienne épicerie", status="closed")
    factories.project(title="Brouillon d'épicerie", status="draft")
    db.session.commit()
    html = client.get(f"/committees/{sitting.id}/agenda?q=epicerie").get_data(as_text=True)
    assert "Épicerie vrac de Redon" in html
    assert "Ancienne épicerie" not in html and "Brouillon" not in html
    fragment = client.get(f"/committees/{sitting.id}/agenda?q=recyclerie", htmx=True)
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="agenda-candidates"')
    assert "Recyclerie de Pipriac" in text and "<html" not in text
    for project in (active, paused):
        response = client.post(f"/committees/{sitting.id}/agenda",
                               data={"project_id": str(project.id)})
        assert response.status_code == 303
    again = client.post(f"/committees/{sitting.id}/agenda", data={"project_id": str(active.id)})
    assert again.status_code == 303 and _count(CommitteeReview) == 2
    events = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "committee_scheduled")).all()
    assert {e.project_id for e in events} == {active.id, paused.id}
    assert events[0].detail["sitting"] == "Comité de sélection"
    assert events[0].detail["held_on"] == "2026-03-12"


def test_a_closed_project_cannot_be_put_on_an_agenda(app, staff):
    sitting = _sitting()
    closed = factories.project(status="closed")
    with app.test_request_context(), pytest.raises(services.CommitteeError):
        services.add_to_agenda(None, sitting, closed)


def test_the_agenda_is_ordered_and_a_project_without_decision_removed(client, staff):
    sitting = _sitting()
    first, second, third = (factories.project(title=t) for t in ("Alpha", "Bravo", "Charlie"))
    reviews = [_on_agenda(sitting, p) for p in (first, second, third)]
    response = client.post(f"/committees/{sitting.id}/agenda/{reviews[2].id}/move",
                           data={"direction": "up"})
    assert response.status_code == 303
    order = db.session.scalars(select(CommitteeReview.project_id).order_by(
        CommitteeReview.position)).all()
    assert order == [first.id, third.id, second.id]
    _score(sitting, reviews[0], "postpone")
    refused = client.post(f"/committees/{sitting.id}/agenda/{reviews[0].id}/delete",
                          data={"confirm": "1"})
    assert refused.status_code == 409
    removed = client.post(f"/committees/{sitting.id}/agenda/{reviews[1].id}/delete",
                          data={"confirm": "1"})
    assert removed.status_code == 303
    assert _count(CommitteeReview) == 2
    assert _count(ProjectEvent, ProjectEvent.kind == "committee_removed",
                  ProjectEvent.project_id == second.id) == 1


def test_another_sittings_review_is_not_reachable_through_this_one(client, staff, team):
    sitting, other = _sitting(), _sitting("Autre")
    review = _on_agenda(other, team.project)
    s = f"/committees/{sitting.id}"
    assert client.get(f"{s}/reviews/{review.id}").status_code == 404
    assert client.post(f"{s}/reviews/{review.id}", data=_review_data(review)).status_code == 404
    assert client.post(f"{s}/agenda/{review.id}/delete", data={"confirm": "1"}
                       ).status_code == 404
    assert client.get("/committees/999").status_code == 404


# Reviews ---------------------------------------------------------------------------------


def test_a_review_records_the_decision_scores_and_conditions(client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    html = client.get(f"/committees/{sitting.id}/reviews/{review.id}").get_data(as_text=True)
    for criterion in _criteria():
        assert criterion.name_en in html
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}", data=_review_data(
        review, "go_conditions", (4, 3, "", 5, 0, 2), conditions="Trouver un local.",
        comments="Dossier solide.", shared="y"))
    assert response.status_code == 303
    db.session.refresh(review)
    assert (review.decision, review.conditions, review.comments, review.shared_with_holders) \
        == ("go_conditions", "Trouver un local.", "Dossier solide.", True)
    criteria = _criteria()
    scores = {s.criterion_id: s.score for s in db.session.scalars(select(CommitteeScore))}
    assert scores == {criteria[0].id: 4, criteria[1].id: 3, criteria[3].id: 5,
                      criteria[4].id: 0, criteria[5].id: 2}
    event = db.session.scalar(select(ProjectEvent).where(
        ProjectEvent.kind == "committee_decision"))
    assert event.detail["decision"] == "go_conditions" and event.detail["shared"] is True


@pytest.mark.parametrize("bad", ["6", "-1", "abc", "2.5"])
def test_scores_outside_0_to_5_are_refused(app, client, staff, team, bad):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}",
                           data=_review_data(review, "go", (bad, 3)))
    assert response.status_code == 422
    assert bad in response.get_data(as_text=True)  # the input is kept
    assert _count(CommitteeScore) == 0
    db.session.refresh(review)
    assert review.decision is None
    with app.test_request_context():
        for value in (6, -1):
            with pytest.raises(services.CommitteeError):
                services.check_score(value)


@pytest.mark.parametrize("bad", ["2,5", "abc", "1e5", "6"])
def test_a_refused_score_gets_one_message_saying_what_to_type(client, staff, team, bad):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}",
                           data=_review_data(review, "go", (bad,)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid integer value" not in page
    assert "1 problem" in page and "Enter a score from 0 to 5." in page


def test_conditions_are_required_for_a_favourable_decision_with_conditions(
        client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}",
                           data=_review_data(review, "go_conditions", (3,)))
    assert response.status_code == 422
    assert "Write the conditions" in response.get_data(as_text=True)
    assert _count(CommitteeScore) == 0


def test_a_review_from_a_stale_page_is_refused_with_409_keeping_the_input(
        client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    seen = review.version
    _score(sitting, review, "postpone", (1,))
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}", data={
        **_review_data(review, "no", (2,), comments="Mon avis"), "version": str(seen)})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Mon avis" in html
    db.session.refresh(review)
    assert review.decision == "postpone"


def test_a_review_answers_htmx_with_hx_redirect_and_its_refusal_with_422(client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    bad = client.post(f"/committees/{sitting.id}/reviews/{review.id}",
                      data=_review_data(review, "go", (9,)), htmx=True)
    assert bad.status_code == 422 and "HX-Request" in bad.headers["Vary"]
    good = client.post(f"/committees/{sitting.id}/reviews/{review.id}",
                       data=_review_data(review, "go", (5,)), htmx=True)
    assert good.status_code == 204 and good.headers["HX-Redirect"].startswith(
        f"/committees/{sitting.id}")


# The comparison --------------------------------------------------------------------------


def test_the_sitting_shows_scores_side_by_side_with_exact_averages(client, staff):
    sitting = _sitting()
    alpha, bravo = factories.project(title="Alpha"), factories.project(title="Bravo")
    ra, rb = _on_agenda(sitting, alpha), _on_agenda(sitting, bravo)
    _score(sitting, ra, "go", (4, 3, 5, 4, 2, 3))  # 21 / 6 = 3.5
    _score(sitting, rb, "no", (2, 2, None, 1))  # 5 / 3 = 1.67 → 1.7
    comparison = queries.comparison(queries.sitting_in_full(sitting.id))
    criteria = _criteria()
    assert comparison.review_averages == {ra.id: Decimal("3.5"), rb.id: Decimal("1.7")}
    assert comparison.criterion_averages[criteria[0].id] == Decimal("3.0")
    assert comparison.criterion_averages[criteria[2].id] == Decimal("5.0")
    assert comparison.criterion_averages[criteria[4].id] == Decimal("2.0")
    html = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    assert "3.5" in html and "1.7" in html
    french = client.get(f"/committees/{sitting.id}", headers={"Accept-Language": "fr"})
    text = french.get_data(as_text=True)
    assert "3,5" in text and "Favorable" in text or "Avis favorable" in text
    assert "Défavorable" in text


def test_the_sitting_page_costs_the_same_statements_whatever_its_size(client, staff):
    def cost(sitting_id) -> int:
        with count_statements() as statements:
            assert client.get(f"/committees/{sitting_id}").status_code == 200
        return len(statements)

    sitting = _sitting()
    review = _on_agenda(sitting, factories.project())
    _score(sitting, review, "go", (1, 2))
    services.add_seat(sitting, name="Une personne")
    db.session.commit()
    one = cost(sitting.id)
    for i in range(4):
        other = _on_agenda(sitting, factories.project(title=f"P{i}"))
        _score(sitting, other, "go_conditions", (3, 4, 5), conditions="Oui")
        services.add_seat(sitting, name=f"Personne {i}")
    _add_criterion("Nouveau critère")
    _retire(_criteria()[0])
    db.session.commit()
    assert cost(sitting.id) == one


# Criteria --------------------------------------------------------------------------------


def _scored_sitting():
    """A sitting whose two projects (Alpha: go, Bravo: no) are scored on all six criteria;
    returns it and its comparison as scored."""
    sitting = _sitting()
    alpha, bravo = factories.project(title="Alpha"), factories.project(title="Bravo")
    ra, rb = _on_agenda(sitting, alpha), _on_agenda(sitting, bravo)
    _score(sitting, ra, "go", (4, 3, 5, 4, 2, 3))
    _score(sitting, rb, "no", (2, 2, 1, 1, 1, 1))
    return sitting, queries.comparison(queries.sitting_in_full(sitting.id))


def test_changing_criteria_never_rewrites_an_old_sittings_scores_or_averages(client, staff):
    sitting, before = _scored_sitting()
    db.session.expire_all()
    first, second = _criteria()[:2]
    lists.rename_item(CRITERIA, first, _manager(), first.version,
                      name="Dimension collective et coopérative", name_en="Cooperation",
                      description=first.description)
    _retire(second)
    _add_criterion("Impact environnemental", "Environmental impact")
    db.session.commit()
    after = queries.comparison(queries.sitting_in_full(sitting.id))
    assert after.scores == before.scores
    assert after.review_averages == before.review_averages
    assert {k: v for k, v in after.criterion_averages.items() if v is not None} == \
        before.criterion_averages
    names = [c.name for c in after.criteria]
    assert "Dimension collective et coopérative" in names  # the shown name follows
    assert second.name in names  # retired, but scored at this sitting: still shown
    html = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    assert "retired criterion" in html


def test_renames_reorders_and_retirements_on_the_lists_page_leave_old_figures_alone(
        client, login):
    """The same through the lists page's forms: scores, averages and the sitting's page."""
    login("manager")
    sitting, before = _scored_sitting()
    first, second, third = _criteria()[:3]
    ids = (first.id, second.id, third.id)
    assert client.post(f"{LIST_URL}/{ids[0]}/rename", data={
        f"i{ids[0]}-name": "Coopération", f"i{ids[0]}-name_en": "Cooperation",
        f"i{ids[0]}-description": "", f"i{ids[0]}-version": str(first.version)}
    ).status_code == 303
    assert client.post(f"{LIST_URL}/{ids[2]}/move",
                       data={"direction": "up", "order": _order()}).status_code == 303
    assert client.post(f"{LIST_URL}/{ids[1]}/active", data={"active": "0"}).status_code == 303
    db.session.expire_all()
    after = queries.comparison(queries.sitting_in_full(sitting.id))
    assert after.scores == before.scores
    assert after.review_averages == before.review_averages
    assert after.criterion_averages == before.criterion_averages
    assert {c.id for c in after.criteria} == {c.id for c in before.criteria}
    html = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    assert "Coopération" in html and "retired criterion" in html
    assert _count(ReferenceListChange, ReferenceListChange.list == "criteria") == 3


def test_re_editing_a_review_keeps_scores_on_criteria_retired_since(client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go", (4, 3))
    first = _criteria()[0]
    _retire(first)
    db.session.commit()
    page = client.get(f"/committees/{sitting.id}/reviews/{review.id}").get_data(as_text=True)
    assert "retired criterion" in page and f'name="score_{first.id}"' not in page
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}",
                           data=_review_data(review, "go", (5,)))  # now the first active
    assert response.status_code == 303
    scores = {s.criterion_id: s.score for s in db.session.scalars(select(CommitteeScore))}
    assert scores[first.id] == 4
    assert len(scores) == 2


def test_managers_add_rename_reorder_retire_and_delete_criteria(client, login):
    """On /admin/lists/criteria, the criteria's only editor: each change recorded."""
    login("manager")
    response = client.post(LIST_URL, data={
        "name": "Impact environnemental", "name_en": "Environmental impact",
        "description": "Ce que le projet change pour le milieu.",
        "form_token": _list_token(client)})
    assert response.status_code == 303
    added = db.session.scalar(select(CommitteeCriterion).where(
        CommitteeCriterion.name == "Impact environnemental"))
    assert added.description == "Ce que le projet change pour le milieu."
    duplicate = client.post(LIST_URL, data={"name": "impact ENVIRONNEMENTAL",
                                            "form_token": _list_token(client)})
    assert duplicate.status_code == 422
    response = client.post(f"{LIST_URL}/{added.id}/rename", data={
        f"i{added.id}-name": "Impact écologique", f"i{added.id}-name_en": "Ecological impact",
        f"i{added.id}-description": "Sols, eau, air.", f"i{added.id}-version": "1"})
    assert response.status_code == 303
    assert client.post(f"{LIST_URL}/{added.id}/move",
                       data={"direction": "up", "order": _order()}).status_code == 303
    order = db.session.scalars(select(CommitteeCriterion.name).order_by(
        CommitteeCriterion.position)).all()
    assert order[-2:] == ["Impact écologique", "Viabilité économique"]
    client.post(f"{LIST_URL}/{added.id}/active", data={"active": "0"})
    db.session.refresh(added)
    assert not added.active and added not in _criteria()
    assert added.description == "Sols, eau, air." and added.version == 2
    added_id = added.id
    response = client.post(f"{LIST_URL}/{added_id}/delete",
                           data={"confirm": "1", "version": "2"})
    assert response.status_code == 303
    assert _count(CommitteeCriterion) == 6
    changes = db.session.scalars(select(ReferenceListChange.change).where(
        ReferenceListChange.list == "criteria", ReferenceListChange.item_id == added_id)
        .order_by(ReferenceListChange.id)).all()
    assert changes == ["added", "renamed", "moved", "retired", "deleted"]


def test_deleting_a_criterion_asks_first_and_from_the_version_shown(client, login):
    login("manager")
    criterion = _add_criterion("Impact social", "Social impact")
    db.session.commit()
    cid = criterion.id
    page = client.get(LIST_URL).get_data(as_text=True)
    assert f'action="{LIST_URL}/{cid}/delete"' in page
    assert "Delete “Impact social”? It was never used to score a project." in page
    url = f"{LIST_URL}/{cid}/delete"
    assert client.post(url, data={"version": "1"}).status_code == 400  # not confirmed
    assert client.post(url, data={"confirm": "1"}).status_code == 400  # no version
    response = client.post(url, data={"confirm": "1", "version": "0"})
    assert response.status_code == 409 and "Someone changed" in response.get_data(as_text=True)
    assert db.session.get(CommitteeCriterion, cid) is not None
    response = client.post(url, data={"confirm": "1", "version": "1"}, htmx=True)
    assert response.status_code == 200 and 'id="reference-list"' in response.get_data(
        as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    db.session.expire_all()
    assert db.session.get(CommitteeCriterion, cid) is None
    change = db.session.scalars(select(ReferenceListChange).order_by(
        ReferenceListChange.id.desc())).first()
    assert (change.change, change.item_id, change.detail) == (
        "deleted", cid, "Impact social / Social impact")


def test_items_of_the_other_lists_are_never_deleted(client, login):
    login("manager")
    for slug in ("themes", "legal-forms", "note-kinds"):
        spec = lists.LISTS[slug]
        item = db.session.scalar(select(spec.model))
        if item is None:
            continue
        response = client.post(f"/admin/lists/{slug}/{item.id}/delete",
                               data={"confirm": "1", "version": str(item.version)})
        assert response.status_code == 404, slug
        assert "/delete" not in client.get(f"/admin/lists/{slug}").get_data(as_text=True)


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200d\ufeff", " \u2060 "])
def test_a_criterion_or_sitting_named_with_invisible_characters_only_is_refused(
        client, login, invisible):
    login("manager")
    before = _count(CommitteeCriterion)
    response = client.post(LIST_URL, data={"name": invisible, "name_en": "",
                                           "form_token": _list_token(client)})
    assert response.status_code == 422 and "Enter the French name." in response.get_data(
        as_text=True)
    assert _count(CommitteeCriterion) == before
    page = client.get("/committees/new").get_data(as_text=True)
    response = client.post("/committees/new", data={
        "form_token": TOKEN.search(page).group(1), "held_on": "2026-03-12",
        "name": invisible})
    assert response.status_code == 422 and "Name the committee." in response.get_data(
        as_text=True)
    assert _count(CommitteeSitting) == 0


def test_a_scored_criterion_cannot_be_deleted(client, login, team):
    login("manager")
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go", (3,))
    first = _criteria()[0]
    page = client.get(LIST_URL).get_data(as_text=True)
    assert f"{LIST_URL}/{first.id}/delete" not in page  # no Delete button on a scored one
    assert "1 score" in page
    response = client.post(f"{LIST_URL}/{first.id}/delete",
                           data={"confirm": "1", "version": str(first.version)})
    assert response.status_code == 409
    assert "retire it instead" in response.get_data(as_text=True)
    assert db.session.get(CommitteeCriterion, first.id) is not None
    assert _count(ReferenceListChange, ReferenceListChange.change == "deleted") == 0


# The one-click move ----------------------------------------------------------------------


def test_a_decision_moves_the_project_with_one_click_recording_the_decision(
        client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go_conditions", (4,), conditions="Trouver un local.")
    page = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    second = factories.stage(2)
    assert re.search(rf'<option selected value="{second.id}">|<option value="{second.id}" '
                     r'selected', page)
    db.session.refresh(team.project)
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}/stage", data={
        f"move{review.id}-stage_id": str(second.id),
        f"move{review.id}-version": str(team.project.version)})
    assert response.status_code == 303
    db.session.refresh(team.project)
    db.session.refresh(review)
    assert team.project.stage_id == second.id and review.moved_to_stage_id == second.id
    move = db.session.scalar(select(StageMove).order_by(StageMove.id.desc()))
    assert move.to_stage_id == second.id
    assert move.comment == "Favourable with conditions: Trouver un local."
    page = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    assert "Moved to" in page


def test_the_move_is_refused_for_a_closed_project_or_a_stale_page(client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go", (4,))
    db.session.refresh(team.project)
    stale = client.post(f"/committees/{sitting.id}/reviews/{review.id}/stage", data={
        f"move{review.id}-stage_id": str(factories.stage(2).id),
        f"move{review.id}-version": str(team.project.version - 1)})
    assert stale.status_code == 409
    closed = factories.project(status="closed")
    db.session.commit()
    other = CommitteeReview(sitting_id=sitting.id, project_id=closed.id, position=9,
                            decision="no")
    db.session.add(other)
    db.session.commit()
    response = client.post(f"/committees/{sitting.id}/reviews/{other.id}/stage", data={
        f"move{other.id}-stage_id": str(factories.stage(2).id),
        f"move{other.id}-version": str(closed.version)})
    assert response.status_code == 422
    assert _count(StageMove, StageMove.project_id == closed.id) == \
        _count(StageMove, StageMove.project_id == closed.id)
    db.session.refresh(other)
    assert other.moved_to_stage_id is None


def test_a_move_to_a_stage_not_offered_says_why(client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go", (4,))
    db.session.refresh(team.project)
    moves = _count(StageMove)
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}/stage", data={
        f"move{review.id}-stage_id": "999999",
        f"move{review.id}-version": str(team.project.version)})
    assert response.status_code == 422
    assert "This stage cannot be chosen." in response.get_data(as_text=True)
    assert _count(StageMove) == moves


def test_an_archived_sitting_refuses_the_one_click_move(client, staff, team):
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go", (4,))
    services.set_archived(sitting, True, sitting.version)
    db.session.commit()
    db.session.refresh(team.project)
    stage = team.project.stage_id
    page = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    assert "move-after-decision" not in page
    response = client.post(f"/committees/{sitting.id}/reviews/{review.id}/stage", data={
        f"move{review.id}-stage_id": str(factories.stage(2).id),
        f"move{review.id}-version": str(team.project.version)})
    assert response.status_code == 422
    assert "This sitting is archived" in response.get_data(as_text=True)
    db.session.refresh(team.project)
    db.session.refresh(review)
    assert team.project.stage_id == stage and review.moved_to_stage_id is None


# The project page ------------------------------------------------------------------------


def _reviews_for_holder(team):
    shared_sitting = _sitting("Comité d'appui", date(2026, 2, 1))
    hidden_sitting = _sitting("Comité de sélection", date(2026, 1, 1))
    shared = _on_agenda(shared_sitting, team.project)
    hidden = _on_agenda(hidden_sitting, team.project)
    _score(shared_sitting, shared, "go_conditions", (4, 3), conditions="Trouver un local.",
           comments="Commentaire interne secret", shared=True)
    _score(hidden_sitting, hidden, "postpone", (1, 1), comments="Autre secret")
    other_project = factories.project(title="Projet voisin")
    neighbour = _on_agenda(shared_sitting, other_project)
    _score(shared_sitting, neighbour, "no", (0,), shared=True, comments="Voisin secret")
    services.add_seat(shared_sitting, name="Gaëlle Morvan")
    db.session.commit()


def test_holders_see_only_shared_decisions_and_conditions_never_scores(client, auth, team):
    _reviews_for_holder(team)
    auth.login(team.holder)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Comité d&#39;appui" in html and "Favourable with conditions" in html
    assert "Trouver un local." in html
    for secret in ("Commentaire interne secret", "Autre secret", "Voisin secret",
                   "Postponed", "Gaëlle Morvan", "Projet voisin", "Average"):
        assert secret not in html, secret
    timeline = client.get(f"/projects/{team.project.id}/history").get_data(as_text=True) \
        if client.get(f"/projects/{team.project.id}/history").status_code == 200 else html
    assert "Comité de sélection" not in timeline


def test_mentors_see_committees_as_holders_do(client, login, team):
    _reviews_for_holder(team)
    organisation = create_organisation(None, name="SCIC Manger Local", family="cooperative",
                                       contacts=({"name": "Solenn"},))
    mentor = login("mentor")
    contact = db.session.scalar(select(OrganisationContact))
    contact.user_id = mentor.id
    db.session.add(Mentorship(project_id=team.project.id, organisation_id=organisation.id,
                              role="sponsor", contact_id=contact.id,
                              started_on=date(2025, 1, 1)))
    db.session.commit()
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Favourable with conditions" in html
    assert "Postponed" not in html and "Commentaire interne secret" not in html


def test_staff_see_every_review_with_scores_and_comments(client, auth, team):
    _reviews_for_holder(team)
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    for text in ("Commentaire interne secret", "Autre secret", "Postponed",
                 "Favourable with conditions", "Average: 3.5"):
        assert text in html, text
    assert "Voisin secret" not in html


def test_holders_timeline_shows_only_shared_decisions(app, team):
    _reviews_for_holder(team)
    from incubator.project_page.queries import timeline

    kinds = [(e.item.kind, e.item.detail.get("sitting")) for e in timeline(
        team.holder, team.project) if e.kind == "event" and
        e.item.kind.startswith("committee_")]
    assert kinds == [("committee_decision", "Comité d'appui")]
    staff_kinds = [e.item.kind for e in timeline(team.advisor, team.project)
                   if e.kind == "event" and e.item.kind.startswith("committee_")]
    assert sorted(staff_kinds) == ["committee_decision", "committee_decision",
                                   "committee_scheduled", "committee_scheduled"]


def test_the_project_page_section_costs_the_same_statements_whatever_the_reviews(
        client, auth, team):
    auth.login(team.advisor)

    def cost() -> int:
        with count_statements() as statements:
            assert client.get(f"/projects/{team.project.id}").status_code == 200
        return len(statements)

    sitting = _sitting()
    _score(sitting, _on_agenda(sitting, team.project), "go", (1, 2))
    one = cost()
    for i in range(3):
        other = _sitting(f"Comité {i}")
        _score(other, _on_agenda(other, team.project), "no", (3, 4, 5), shared=True)
    assert cost() == one


# Hostile text ----------------------------------------------------------------------------


def test_hostile_text_is_shown_as_text(client, staff, team):
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    sitting = _sitting(evil, place=evil, notes=evil)
    review = _on_agenda(sitting, team.project)
    services.add_seat(sitting, name=evil, role=evil)
    _score(sitting, review, "go_conditions", (3,), conditions=evil, comments=evil)
    _add_criterion(evil)
    db.session.commit()
    for url in ("/committees", f"/committees/{sitting.id}",
                f"/committees/{sitting.id}/reviews/{review.id}",
                f"/committees/{sitting.id}/edit", f"/projects/{team.project.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url


# Demo data -------------------------------------------------------------------------------


def test_the_demo_has_past_and_upcoming_sittings_with_people_scores_and_decisions(app):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    sittings = db.session.scalars(select(CommitteeSitting)).all()
    today = date.today()
    names = {s.name for s in sittings}
    assert {"Comité de sélection", "Comité d’appui"} <= names
    assert sum(s.held_on < today for s in sittings) == 2
    assert sum(s.held_on > today for s in sittings) == 1
    assert _count(CommitteeSeat) >= 6
    assert _count(CommitteeSeat, CommitteeSeat.partner_id.is_not(None)) >= 3
    assert _count(CommitteeSeat, CommitteeSeat.organisation_id.is_not(None)) >= 1
    decided = db.session.scalars(select(CommitteeReview).where(
        CommitteeReview.decision.is_not(None))).all()
    assert len(decided) >= 3 and _count(CommitteeScore) >= 18
    assert any(r.decision == "go_conditions" and r.shared_with_holders and r.conditions
               for r in decided)


def test_a_decision_taken_back_from_the_holders_leaves_their_timeline(app, team):
    from incubator.project_page.queries import timeline

    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    _score(sitting, review, "go", (4,), shared=True)

    def holder_sees() -> list[str]:
        return [e.item.kind for e in timeline(team.holder, team.project)
                if e.kind == "event" and e.item.kind.startswith("committee_")]

    assert holder_sees() == ["committee_decision"]
    db.session.refresh(review)
    _score(sitting, review, "go", (4,), shared=False)
    assert holder_sees() == []


def test_a_person_is_added_once_even_when_the_form_is_sent_twice(client, staff):
    sitting = _sitting()
    html = client.get(f"/committees/{sitting.id}").get_data(as_text=True)
    token = TOKEN.search(html).group(1)
    data = {"name": "Jean Dupont", "form_token": token}
    assert client.post(f"/committees/{sitting.id}/seats", data=data).status_code == 303
    assert client.post(f"/committees/{sitting.id}/seats", data=data).status_code == 303
    assert _count(CommitteeSeat) == 1


def test_every_change_answers_htmx_with_hx_redirect_and_plain_with_303(client, login, team):
    login("manager")
    sitting = _sitting()
    review = _on_agenda(sitting, team.project)
    other = factories.project(title="Autre projet")
    db.session.commit()
    s = f"/committees/{sitting.id}"
    changes = [
        (f"{s}/seats", {"name": "Jean Dupont"}),
        (f"{s}/agenda", {"project_id": str(other.id)}),
        (f"{s}/agenda/{review.id}/move", {"direction": "down"}),
        (f"{s}/edit", {"held_on": "2026-03-12", "name": "Comité", "version": "1"}),
    ]
    for htmx in (True, False):
        for url, data in changes:
            if htmx is False and url.endswith(("/seats", "/agenda", "/edit")):
                continue  # not twice
            response = client.post(url, data=data, htmx=htmx)
            if htmx:
                assert response.status_code == 204, (url, response.status_code)
                assert response.headers["HX-Redirect"].startswith("/committees"), url
            else:
                assert response.status_code == 303, (url, response.status_code)
            assert "HX-Request" in response.headers["Vary"], url
    assert _count(CommitteeSeat) == 1 and _count(CommitteeReview) == 2


def test_a_refused_seat_answers_htmx_with_422_and_the_page(client, staff):
    sitting = _sitting()
    response = client.post(f"/committees/{sitting.id}/seats", data={"name": ""}, htmx=True)
    assert response.status_code == 422
    assert "Choose a contact person or enter a name." in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
