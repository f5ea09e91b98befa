"""Partner bodies: who reads and writes, the list's search, filters, sort and pagination
(plain and htmx), create / edit (version-checked) / archive / delete (refused when linked),
contacts, an organisation of the directory made a partner (once), the partner's page
(supports, totals by kind and year exact to the cent, referrals, sittings, activity), the
member page's activity, and constant statement counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members import services as members
from incubator.mentoring import services as mentoring
from incubator.models import (
    CommitteeSeat,
    CommitteeSitting,
    Partner,
    PartnerContact,
    ProjectEvent,
    Referral,
    Support,
    SupportStatusChange,
)
from incubator.partners import queries, services
from incubator.partners.queries import PartnerFilters

from . import factories
from .helpers import count_statements

SIRET = "732 829 320 00074"
HX = {"HX-Request": "true"}


def _partner(name="Redon Agglomération", kind="intercommunalite", **fields) -> Partner:
    partner = services.create_partner(None, name=name, kind=kind, **fields)
    db.session.commit()
    return partner


def _organisation(name="Coop Bois", **fields):
    fields.setdefault("family", "cooperative")
    organisation = members.create_organisation(None, name=name, **fields)
    db.session.commit()
    return organisation


def _support(partner, project, kind="grant", steps=(), status="envisaged", amount=None):
    """A support with its history: ``steps`` = ((to_status, day, cents), …)."""
    last = steps[-1] if steps else (status, date(2026, 1, 5), amount)
    support = Support(project_id=project.id, partner_id=partner.id, kind=kind,
                      status=last[0], status_on=last[1], amount_cents=last[2])
    db.session.add(support)
    db.session.flush()
    previous = None
    for to_status, day, cents in steps:
        db.session.add(SupportStatusChange(support_id=support.id, from_status=previous,
                                           to_status=to_status, changed_on=day,
                                           amount_cents=cents))
        previous = to_status
    db.session.commit()
    return support


def _event(project, *, partner=None, organisation=None, kind="description_edited",
           at=None, **detail):
    event = ProjectEvent(project_id=project.id, kind=kind, detail=detail,
                         partner_id=partner.id if partner else None,
                         organisation_id=organisation.id if organisation else None,
                         at=at or datetime.now(UTC))
    db.session.add(event)
    db.session.commit()
    return event


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Partner))


def _token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


# Who reads and writes


@pytest.mark.parametrize("role, status", [("advisor", 200), ("manager", 200),
                                          ("mentor", 403), ("holder", 403)])
def test_partners_are_for_staff_only(client, login, role, status):
    partner = _partner()
    contact = services.add_contact(partner, name="Claire Menard")
    organisation = _organisation()
    db.session.commit()
    login(role)
    for url in ("/partners", f"/partners/{partner.id}", f"/partners/{partner.id}/activity",
                "/partners/new", f"/partners/{partner.id}/edit",
                f"/partners/{partner.id}/contacts/{contact.id}/edit"):
        assert client.get(url).status_code == status, url
    if status == 403:
        for url in (f"/partners/{partner.id}/edit", f"/partners/{partner.id}/archive",
                    f"/partners/{partner.id}/delete", f"/partners/{partner.id}/contacts",
                    f"/partners/{partner.id}/contacts/{contact.id}/edit",
                    f"/partners/{partner.id}/contacts/{contact.id}/delete",
                    f"/members/{organisation.id}/partner", "/partners/new"):
            response = client.post(url, data={"name": "X", "kind": "bank", "confirm": 1,
                                              "archived": 1, "version": 1,
                                              "contact_name": "Y"})
            assert response.status_code == 403, url
        db.session.expire_all()
        assert _count() == 1 and partner.name == "Redon Agglomération"
        assert not partner.is_archived


def test_a_visitor_is_sent_to_log_in(client, app):
    assert client.get("/partners").status_code in (302, 303)
    assert client.get("/partners", headers=HX).status_code == 401
    assert client.get("/members/1/activity").status_code in (302, 303)


@pytest.mark.parametrize("role, status", [("advisor", 200), ("manager", 200),
                                          ("mentor", 200), ("holder", 403)])
def test_the_organisation_activity_is_read_as_the_directory(client, login, role, status):
    organisation = _organisation()
    login(role)
    assert client.get(f"/members/{organisation.id}/activity").status_code == status
    assert client.get("/members/999/activity").status_code == (404 if status == 200 else 403)


def test_an_unknown_partner_is_404(client, login):
    login("advisor")
    assert client.get("/partners/999").status_code == 404
    assert client.get("/partners/999/edit").status_code == 404
    assert client.post("/members/999/partner", data={"kind": "bank"}).status_code == 404


def test_the_nav_shows_partners_to_staff_only(client, login, auth):
    login("advisor")
    assert 'href="/partners"' in client.get("/", follow_redirects=True).get_data(as_text=True)
    auth.logout()
    login("mentor")
    assert 'href="/partners"' not in client.get("/", follow_redirects=True).get_data(
        as_text=True)


# The list


def _names(html: str, *names: str) -> list[str]:
    return sorted((name for name in names if name in html), key=html.index)


def test_the_list_searches_without_accents_filters_and_sorts_in_french_order(client, login):
    login("advisor")
    organisation = _organisation("Éco-Bâtisseurs du Pays", siret="73282932000074")
    db.session.add(Partner(organisation_id=organisation.id, kind="ess_network"))
    _partner("Zèbre Finance", "bank")
    _partner("Commune d’Allaire", "commune", notes="Prête une salle")
    _partner("abeille solidaire", "solidarity_funder")
    db.session.commit()
    html = client.get("/partners").get_data(as_text=True)
    assert _names(html, "abeille solidaire", "Commune d’Allaire", "Éco-Bâtisseurs du Pays",
                  "Zèbre Finance") == ["abeille solidaire", "Commune d’Allaire",
                                       "Éco-Bâtisseurs du Pays", "Zèbre Finance"]
    assert "4 partners" in html
    # The organisation's name is searched too (outer join), accents and case ignored.
    html = client.get("/partners?q=BATISSEURS").get_data(as_text=True)
    assert "Éco-Bâtisseurs du Pays" in html and "Zèbre" not in html and "1 partner" in html
    html = client.get("/partners?q=PR%C3%8ATE%20une").get_data(as_text=True)
    assert _names(html, "Commune d’Allaire", "Zèbre Finance") == ["Commune d’Allaire"]
    html = client.get("/partners?kind=bank").get_data(as_text=True)
    assert _names(html, "abeille solidaire", "Zèbre Finance") == ["Zèbre Finance"]
    html = client.get("/partners?sort=kind").get_data(as_text=True)
    assert _names(html, "abeille solidaire", "Commune d’Allaire", "Éco-Bâtisseurs du Pays",
                  "Zèbre Finance") == ["Commune d’Allaire", "abeille solidaire",
                                       "Zèbre Finance", "Éco-Bâtisseurs du Pays"]


def test_the_list_sorts_by_projects_supported_and_recent(client, login):
    login("advisor")
    first = _partner("Alpha")
    second = _partner("Beta")
    for _i in range(2):
        _support(second, factories.project())
    _support(first, factories.project())
    html = client.get("/partners?sort=projects").get_data(as_text=True)
    assert _names(html, "Alpha", "Beta") == ["Beta", "Alpha"]
    assert "2 projects supported" in html and "1 project supported" in html
    first.created_at = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    html = client.get("/partners?sort=recent").get_data(as_text=True)
    assert _names(html, "Alpha", "Beta") == ["Alpha", "Beta"]


def test_archived_partners_are_hidden_unless_asked(client, login):
    login("advisor")
    old = _partner("Ancien Fonds")
    _partner("Fonds Actif")
    services.set_archived(old, True)
    db.session.commit()
    html = client.get("/partners").get_data(as_text=True)
    assert "Ancien Fonds" not in html and "Fonds Actif" in html
    html = client.get("/partners?archived=only").get_data(as_text=True)
    assert "Ancien Fonds" in html and "Fonds Actif" not in html
    html = client.get("/partners?archived=all").get_data(as_text=True)
    assert "Ancien Fonds" in html and "Fonds Actif" in html


def test_the_list_answers_htmx_with_the_results_fragment(client, login):
    login("advisor")
    _partner("Abeille")
    response = client.get("/partners?q=abei", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="partner-results"')
    assert "Abeille" in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/partners?q=abei")
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]


def test_pagination_links_keep_the_search_filters_and_sort(client, login):
    login("advisor")
    for i in range(queries.PER_PAGE + 2):
        _partner(f"Fonds {i:02d}", "bank")
    html = client.get("/partners?q=fonds&kind=bank&sort=kind").get_data(as_text=True)
    assert "page=2" in html and "q=fonds" in html and "sort=kind" in html
    assert "kind=bank" in html
    html = client.get("/partners?q=fonds&kind=bank&sort=kind&page=2").get_data(as_text=True)
    assert "Fonds 26" in html and "Fonds 00" not in html
    html = client.get("/partners?page=99").get_data(as_text=True)
    assert "Fonds 26" in html  # past the last page: the last page


def test_a_bad_page_number_is_400_and_unknown_filters_are_ignored(client, login):
    login("advisor")
    assert client.get("/partners?page=abc").status_code == 400
    assert client.get("/partners?kind=bogus&sort=nope&archived=maybe").status_code == 200
    assert PartnerFilters.from_args({"kind": "bogus", "sort": "x"}) == PartnerFilters()


# Writing


def _form(**overrides) -> dict:
    data = {"name": "France Active Bretagne", "kind": "solidarity_funder", "siret": "",
            "website": "https://example.org", "notes": "Garanties et prêts"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_create_a_partner(client, login, htmx):
    user = login("advisor")
    page = client.get("/partners/new")
    assert page.status_code == 200 and "novalidate" in page.get_data(as_text=True)
    response = client.post("/partners/new", data=_form(siret=SIRET),
                           headers=HX if htmx else {})
    partner = db.session.scalars(select(Partner)).one()
    if htmx:
        assert response.status_code == 204
        assert response.headers["HX-Redirect"] == f"/partners/{partner.id}"
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/partners/{partner.id}")
    assert partner.siret == "73282932000074" and partner.kind == "solidarity_funder"
    assert partner.name_key == "france active bretagne"
    assert partner.created_by_id == user.id and partner.version == 1
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Fonds" not in html and "France Active Bretagne" in html
    assert "Created by" in html and user.name in html


def test_an_invalid_partner_comes_back_with_errors_and_input(client, login):
    login("advisor")
    response = client.post("/partners/new", data=_form(name="  ", siret="123 456 789",
                                                        kind="nope", notes="gardé"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the partner" in html and "SIREN" in html and "gardé" in html
    assert _count() == 0


def test_the_create_form_is_accepted_once(client, login):
    login("advisor")
    token = _token(client.get("/partners/new").get_data(as_text=True))
    first = client.post("/partners/new", data=_form(form_token=token))
    again = client.post("/partners/new", data=_form(form_token=token))
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _count() == 1


def test_a_partner_already_there_is_refused(client, login):
    login("advisor")
    _partner("France Active Bretagne", siret="73282932000074")
    response = client.post("/partners/new", data=_form(name="FRANCE ACTIVE bretagne"))
    assert response.status_code == 422
    assert "already a partner" in response.get_data(as_text=True)
    response = client.post("/partners/new", data=_form(name="Autre", siret=SIRET))
    assert response.status_code == 422
    assert _count() == 1


def test_creating_a_partner_named_as_an_organisation_offers_to_link_it(client, login):
    login("advisor")
    organisation = _organisation("Fondation Pays de Vilaine", siret="73282932000074")
    response = client.post("/partners/new", data=_form(name="fondation pays de vilaine"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is in the organisations directory" in html
    assert f'action="/members/{organisation.id}/partner"' in html
    assert _count() == 0
    # Following the offer links it (no second entry of the name).
    token = _token(html.split('id="same-organisation"')[1])
    response = client.post(f"/members/{organisation.id}/partner",
                           data={"kind": "solidarity_funder", "form_token": token})
    assert response.status_code == 303
    partner = db.session.scalars(select(Partner)).one()
    assert partner.organisation_id == organisation.id and partner.name == ""
    # Once linked, the offer points at the partner.
    html = client.post("/partners/new", data=_form(name="Fondation Pays de Vilaine")).get_data(
        as_text=True)
    assert "already a partner" in html and f'href="/partners/{partner.id}"' in html
    # Another body with the same name: created once the box is ticked.
    response = client.post("/partners/new", data=_form(name="Fondation Pays de Vilaine",
                                                       distinct="y"))
    assert response.status_code == 303 and _count() == 2


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_edit_a_partner_and_a_stale_edit_is_409_with_input_kept(client, login, htmx):
    login("advisor")
    partner = _partner("Redon Agglo")
    headers = HX if htmx else {}
    response = client.post(f"/partners/{partner.id}/edit", headers=headers,
                           data=_form(name="Redon Agglomération", version=1))
    assert response.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert partner.name == "Redon Agglomération" and partner.version == 2
    assert partner.name_key == "redon agglomeration"
    stale = client.post(f"/partners/{partner.id}/edit", headers=headers,
                        data=_form(name="Mon autre nom", version=1))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Mon autre nom" in html and "Redon Agglomération" in html
    assert 'value="2"' in html
    assert client.post(f"/partners/{partner.id}/edit", headers=headers,
                       data=_form(name="Mon autre nom", version="abc")).status_code == 409
    db.session.expire_all()
    assert partner.name == "Redon Agglomération"


@pytest.mark.parametrize("htmx", [False, True])
def test_archive_asks_first_then_archives_and_unarchives(client, login, htmx):
    login("advisor")
    partner = _partner("Fonds Local")
    headers = HX if htmx else {}
    url = f"/partners/{partner.id}/archive"
    asked = client.post(url, data={"archived": 1, "version": 1}, headers=headers)
    assert asked.status_code == 200 and "Archive Fonds Local?" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert partner.archived_at is None
    response = client.post(url, data={"archived": 1, "version": 1, "confirm": 1},
                           headers=headers)
    assert response.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert partner.is_archived
    assert client.post(url, data={"archived": 0, "version": 1, "confirm": 1},
                       headers=headers).status_code == 409
    client.post(url, data={"archived": 0, "version": 2, "confirm": 1}, headers=headers)
    db.session.expire_all()
    assert not partner.is_archived


@pytest.mark.parametrize("link", ["support", "referral", "seat", "event"])
def test_deleting_a_linked_partner_is_refused_saying_what_links_it(client, login, link):
    login("advisor")
    partner = _partner("Fonds Local")
    project = factories.project()
    db.session.commit()
    if link == "support":
        _support(partner, project)
    elif link == "referral":
        db.session.add(Referral(project_id=project.id, partner_id=partner.id,
                                direction="outgoing", referred_on=date(2026, 3, 2)))
    elif link == "seat":
        sitting = CommitteeSitting(name="Comité de sélection", held_on=date(2026, 3, 2))
        db.session.add(sitting)
        db.session.flush()
        db.session.add(CommitteeSeat(sitting_id=sitting.id, name="Claire",
                                     partner_id=partner.id))
    else:
        _event(project, partner=partner)
    db.session.commit()
    refused = client.post(f"/partners/{partner.id}/delete", data={"confirm": 1, "version": 1})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "cannot be deleted" in html and "Archive it instead" in html
    assert {"support": "support", "referral": "referral", "seat": "committee",
            "event": "histories"}[link] in html
    assert _count() == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_delete_asks_first_then_deletes_with_contacts(client, login, htmx):
    login("advisor")
    partner = _partner("Fonds Local")
    services.add_contact(partner, name="Claire")
    db.session.commit()
    headers = HX if htmx else {}
    url = f"/partners/{partner.id}/delete"
    asked = client.post(url, headers=headers)
    assert asked.status_code == 200 and _count() == 1
    assert client.post(url, data={"confirm": 1}, headers=headers).status_code == 409
    assert client.post(url, data={"confirm": 1, "version": 7},
                       headers=headers).status_code == 409
    response = client.post(url, data={"confirm": 1, "version": 1}, headers=headers)
    assert response.status_code == (204 if htmx else 303)
    assert _count() == 0
    assert db.session.scalar(select(func.count()).select_from(PartnerContact)) == 0


# Contacts


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_add_edit_and_remove_a_contact_person(client, login, htmx):
    login("advisor")
    partner = _partner()
    headers = HX if htmx else {}
    url = f"/partners/{partner.id}/contacts"
    bad = client.post(url, data={"contact_name": "", "email": "pas-un-courriel"},
                      headers=headers)
    assert bad.status_code == 422 and "Give the person" in bad.get_data(as_text=True)
    response = client.post(url, data={"contact_name": "Claire Menard", "role": "Chargée ESS",
                                      "email": "c.menard@example.org"}, headers=headers)
    assert response.status_code == (204 if htmx else 303)
    contact = db.session.scalars(select(PartnerContact)).one()
    edit = f"/partners/{partner.id}/contacts/{contact.id}/edit"
    assert "Claire Menard" in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data={"contact_name": ""}).status_code == 422
    response = client.post(edit, data={"contact_name": "Claire Ménard", "phone": "02 99"},
                           headers=headers)
    assert response.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert (contact.name, contact.phone, contact.role) == ("Claire Ménard", "02 99", "")
    other = _partner("Autre", "bank")
    assert client.get(f"/partners/{other.id}/contacts/{contact.id}/edit").status_code == 404
    assert client.post(f"/partners/{other.id}/contacts/{contact.id}/delete",
                       data={"confirm": 1}).status_code == 404
    remove = f"/partners/{partner.id}/contacts/{contact.id}/delete"
    asked = client.post(remove, headers=headers)
    assert asked.status_code == 200 and "Claire Ménard" in asked.get_data(as_text=True)
    response = client.post(remove, data={"confirm": 1}, headers=headers)
    assert response.status_code == (204 if htmx else 303)
    assert db.session.scalar(select(func.count()).select_from(PartnerContact)) == 0


def test_the_contact_form_sent_twice_adds_one_contact(client, login):
    login("advisor")
    partner = _partner()
    token = _token(client.get(f"/partners/{partner.id}").get_data(as_text=True))
    data = {"contact_name": "Claire", "form_token": token}
    first = client.post(f"/partners/{partner.id}/contacts", data=data)
    again = client.post(f"/partners/{partner.id}/contacts", data=data)
    assert (first.status_code, again.status_code) == (303, 303)
    assert db.session.scalar(select(func.count()).select_from(PartnerContact)) == 1


# An organisation of the directory that is also a partner


@pytest.mark.parametrize("htmx", [False, True])
def test_an_organisation_is_made_a_partner_once_and_both_pages_link(client, login, htmx):
    login("advisor")
    organisation = members.create_organisation(
        None, name="Fondation Pays de Vilaine", family="foundation", siret="73282932000074",
        contacts=({"name": "Hélène Guillot", "email": "h.guillot@example.org"},))
    db.session.commit()
    page = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert "Also make it a partner" in page
    token = _token(page.split("make-partner")[1])
    headers = HX if htmx else {}
    response = client.post(f"/members/{organisation.id}/partner", headers=headers,
                           data={"kind": "foundation", "form_token": token})
    partner = db.session.scalars(select(Partner)).one()
    assert response.status_code == (204 if htmx else 303)
    assert (partner.organisation_id, partner.kind, partner.name, partner.siret) == (
        organisation.id, "foundation", "", "")
    # The same form again, or a fresh one: still one partner.
    again = client.post(f"/members/{organisation.id}/partner",
                        data={"kind": "bank", "form_token": token})
    assert again.status_code == 303 and _count() == 1
    fresh = client.post(f"/members/{organisation.id}/partner", data={"kind": "bank"})
    assert fresh.status_code == 409 and "already a partner" in fresh.get_data(as_text=True)
    assert _count() == 1
    with current_app.test_request_context(), pytest.raises(services.PartnersError):
        services.make_partner_of(None, organisation, "bank")
    # The member page links to the partner, the partner page to the member page, with the
    # organisation's name, SIRET and contacts.
    page = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert f'href="/partners/{partner.id}"' in page and "Also a partner (Foundation)" in page
    assert "Also make it a partner" not in page
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Fondation Pays de Vilaine" in html and "73282932000074" in html
    assert "Hélène Guillot" in html and f'href="/members/{organisation.id}"' in html
    # Its contacts are the organisation's: none added to the partner.
    assert client.post(f"/partners/{partner.id}/contacts",
                       data={"contact_name": "X"}).status_code == 409
    # Edited: kind and notes only (no name of its own needed).
    response = client.post(f"/partners/{partner.id}/edit",
                           data={"kind": "ess_network", "notes": "Réseau", "version": 1})
    assert response.status_code == 303
    db.session.expire_all()
    assert partner.kind == "ess_network" and partner.name == ""
    # Archived organisation: shown on the partner's page.
    members.set_archived(organisation, True)
    db.session.commit()
    assert "Organisation archived" in client.get(f"/partners/{partner.id}").get_data(
        as_text=True)


def test_an_organisation_that_is_a_partner_is_not_deleted(client, login):
    login("advisor")
    organisation = _organisation()
    db.session.add(Partner(organisation_id=organisation.id, kind="bank"))
    db.session.commit()
    response = client.post(f"/members/{organisation.id}/delete",
                           data={"confirm": 1, "version": 1})
    assert response.status_code == 409
    assert "it is also a partner" in response.get_data(as_text=True)
    assert _count() == 1


def test_an_unknown_kind_is_refused_when_making_a_partner(client, login):
    login("advisor")
    organisation = _organisation()
    assert client.post(f"/members/{organisation.id}/partner",
                       data={"kind": "nope"}).status_code == 422
    assert _count() == 0


def test_mentors_do_not_see_the_partner_side_of_the_member_page(client, login):
    organisation = _organisation()
    db.session.add(Partner(organisation_id=organisation.id, kind="bank"))
    db.session.commit()
    login("mentor")
    html = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert "/partners/" not in html and "Also make it a partner" not in html


# The partner's page


def test_totals_by_kind_and_year_are_exact_to_the_cent(app):
    partner = _partner()
    project = factories.project()
    db.session.commit()
    # Requested 1 234,56 € in 2025, corrected the same year (the latest counts once),
    # granted and paid in 2026.
    _support(partner, project, "grant", steps=(
        ("envisaged", date(2025, 1, 10), 100000),
        ("requested", date(2025, 2, 1), 120000),
        ("requested", date(2025, 3, 1), 123456),
        ("granted", date(2026, 1, 15), 123456),
        ("paid", date(2026, 4, 1), 100000)))
    _support(partner, project, "grant", steps=(
        ("requested", date(2025, 6, 1), 44),
        ("granted", date(2026, 2, 1), 44),
        ("paid", date(2026, 3, 1), 44)))
    _support(partner, project, "loan", steps=(
        ("requested", date(2026, 5, 1), 500000),
        ("refused", date(2026, 6, 1), 500000),
        ("requested", date(2027, 1, 4), 300050)))
    other = _partner("Autre", "bank")
    _support(other, project, "grant", steps=(("requested", date(2025, 2, 1), 99999),))
    totals = {t.kind: t for t in queries.support_totals(partner.id)}
    assert list(totals) == ["grant", "loan"]
    grant = totals["grant"]
    assert [(y.year, y["requested"], y["granted"], y["paid"]) for y in grant.years] == [
        (2026, 0, 123500, 100044), (2025, 123500, 0, 0)]
    assert grant.total("requested") == 123500  # 1 234,56 € + 0,44 € = 1 235,00 €
    loan = totals["loan"]
    assert [(y.year, y["requested"]) for y in loan.years] == [(2027, 300050), (2026, 500000)]


def test_kinds_without_amounts_have_no_totals_rather_than_zero_euros(client, login):
    # Premises granted are not « Accordé 0 € »: only amounts add up.
    login("advisor")
    partner = _partner()
    project = factories.project(title="Ressourcerie")
    db.session.commit()
    _support(partner, project, "premises", steps=(
        ("envisaged", date(2026, 5, 19), None), ("granted", date(2026, 6, 30), None)))
    _support(partner, project, "grant", steps=(("requested", date(2026, 2, 1), 150000),))
    totals = {t.kind: t for t in queries.support_totals(partner.id)}
    assert list(totals) == ["grant"]
    html = client.get(f"/partners/{partner.id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Locaux\u202f: montants par année" not in html
    assert "Subvention\u202f: montants par année" in html
    assert "Ressourcerie" in html and "Locaux" in html


def test_the_partner_page_shows_supports_totals_referrals_sittings_and_activity(
        client, login):
    login("advisor")
    partner = _partner()
    project = factories.project(title="Épicerie vrac")
    db.session.commit()
    _support(partner, project, "grant", steps=(
        ("requested", date(2025, 2, 1), 123456),
        ("granted", date(2025, 3, 1), 123456)))
    _support(partner, project, "grant", steps=(("requested", date(2025, 6, 1), 44),))
    db.session.add(Referral(project_id=project.id, partner_id=partner.id,
                            direction="incoming", referred_on=date(2026, 3, 2),
                            reason="Orientée par la mairie", outcome="taken_up"))
    sitting = CommitteeSitting(name="Comité d’appui de mars", held_on=date(2026, 3, 10))
    db.session.add(sitting)
    db.session.flush()
    db.session.add(CommitteeSeat(sitting_id=sitting.id, name="Claire Menard",
                                 partner_id=partner.id))
    db.session.commit()
    _event(project, partner=partner, kind="holder_added", name="Anne")
    html = client.get(f"/partners/{partner.id}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Épicerie vrac" in html
    money = re.findall(r"<td[^>]*>([^<]*€)</td>", html)
    assert [re.sub(r"\s", " ", amount) for amount in money] == [
        "1 235 €", "1 234,56 €", "0 €"]  # 1 234,56 € + 0,44 €
    assert "Orientée par la mairie" in html
    assert "Comité d’appui de mars" in html and "Claire Menard" in html
    html = client.get(f"/partners/{partner.id}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Received from this partner" in html
    assert "Anne joined the project as a holder" in html


def test_activity_lists_the_partners_events_newest_first_with_more(client, login):
    login("advisor")
    partner = _partner()
    project = factories.project(title="Tiers-lieu")
    db.session.commit()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(queries.ACTIVITY_SHOWN + 1):
        _event(project, partner=partner, kind="holder_added", name=f"Personne {i:02d}",
               at=start + timedelta(days=i))
    _event(project, kind="holder_added", name="Ailleurs")  # no partner
    html = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert _names(html, "Personne 10", "Personne 09") == ["Personne 10", "Personne 09"]
    assert "Personne 00" not in html and "Ailleurs" not in html
    assert f"/partners/{partner.id}/activity" in html
    page = client.get(f"/partners/{partner.id}/activity")
    assert page.status_code == 200 and "Personne 00" in page.get_data(as_text=True)
    fragment = client.get(f"/partners/{partner.id}/activity", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_member_page_lists_mentoring_activity_of_the_organisation(client, login):
    advisor = login("advisor")
    organisation = _organisation("Coop Bois")
    project = factories.project(title="Menuiserie solidaire")
    db.session.commit()
    mentoring.link_mentor(advisor, project, organisation, role="sponsor", contact=None,
                          started_on=date(2026, 1, 5))
    db.session.commit()
    event = db.session.scalars(select(ProjectEvent)).one()
    assert event.organisation_id == organisation.id
    html = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert "Menuiserie solidaire" in html and "mentors the project" in html
    page = client.get(f"/members/{organisation.id}/activity")
    assert page.status_code == 200 and "Menuiserie solidaire" in page.get_data(as_text=True)


def test_activity_shows_only_projects_the_reader_may_see(client, login, auth):
    organisation = _organisation("Coop Bois")
    mine = factories.project(title="Projet suivi")
    hidden = factories.project(title="Projet caché")
    db.session.commit()
    _event(mine, organisation=organisation, kind="description_edited")
    _event(hidden, organisation=organisation, kind="description_edited")
    mentor = factories.user(role="mentor")
    db.session.commit()
    contact = members.add_contact(organisation, name="M", user_id=mentor.id)
    db.session.commit()
    mentoring.link_mentor(None, mine, organisation, role="sponsor", contact=contact,
                          started_on=date(2026, 1, 5))
    db.session.commit()
    auth.login(mentor)
    html = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert "Projet suivi" in html and "Projet caché" not in html
    html = client.get(f"/members/{organisation.id}/activity").get_data(as_text=True)
    assert "Projet suivi" in html and "Projet caché" not in html


def test_pages_cost_a_fixed_number_of_statements(client, login):
    login("advisor")
    partner = _partner()
    services.add_contact(partner, name="Claire")
    organisation = _organisation()
    db.session.commit()

    def render(url: str) -> int:
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    urls = ("/partners", "/partners?q=a&sort=projects", f"/partners/{partner.id}",
            f"/partners/{partner.id}/activity", f"/members/{organisation.id}",
            f"/members/{organisation.id}/activity")

    def add(n: int) -> None:
        for i in range(n):
            project = factories.project(title=f"Projet {i}")
            db.session.commit()
            _support(partner, project, "grant", steps=(
                ("requested", date(2025, 1, 1 + i), 1000 + i),
                ("granted", date(2026, 1, 1 + i), 1000 + i)))
            db.session.add(Referral(project_id=project.id, partner_id=partner.id,
                                    direction="outgoing", referred_on=date(2026, 1, 2)))
            sitting = CommitteeSitting(name=f"Comité {i}", held_on=date(2026, 2, 1 + i))
            db.session.add(sitting)
            db.session.flush()
            db.session.add(CommitteeSeat(sitting_id=sitting.id, name=f"P{i}",
                                         partner_id=partner.id))
            _event(project, partner=partner, kind="holder_added", name=f"N{i}")
            _event(project, organisation=organisation, kind="holder_added", name=f"O{i}")
            services.create_partner(None, name=f"Partenaire {i}", kind="bank")
        db.session.commit()

    add(2)
    small = [render(url) for url in urls]
    add(12)
    assert [render(url) for url in urls] == small


# Hostile text


def test_hostile_text_is_escaped_everywhere(client, login):
    login("advisor")
    evil = "<script>alert(1)</script>"
    partner = _partner(evil, notes=f"{evil}\n<b>x</b>", website="javascript:alert(1)")
    services.add_contact(partner, name=evil, role="<i>r</i>", email="", phone=evil)
    project = factories.project(title=evil)
    db.session.commit()
    db.session.add(Referral(project_id=project.id, partner_id=partner.id,
                            direction="outgoing", referred_on=date(2026, 1, 2), reason=evil))
    db.session.commit()
    _event(project, partner=partner, kind="holder_added", name=evil)
    for url in ("/partners", f"/partners/{partner.id}", f"/partners/{partner.id}/activity",
                f"/partners/{partner.id}/edit", "/partners?q=%3Cscript"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<b>x</b>" not in html, url
        assert 'href="javascript:' not in html
    response = client.post(f"/partners/{partner.id}/delete", data={"confirm": 1})
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_an_organisation_is_not_made_a_partner_when_the_body_is_already_entered_alone(
        client, login):
    login("advisor")
    organisation = members.create_organisation(None, name="Fondation Pays de Vilaine",
                                               family="foundation")
    db.session.add(Partner(name="FONDATION pays de vilaine", kind="foundation"))
    db.session.commit()
    response = client.post(f"/members/{organisation.id}/partner", data={"kind": "foundation"})
    assert response.status_code == 409
    assert "already entered on its own" in response.get_data(as_text=True)
    assert _count() == 1
