"""The organisations directory: the models' checks, who reads what, the list's search,
filters, sort and pagination (plain and htmx), the organisation's page, and deletion
guarded by what links an organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members import queries, services
from incubator.members.queries import DirectoryFilters
from incubator.models import Organisation, OrganisationContact, clean_siret

from .helpers import count_statements

# A real SIRET (checksum valid), written with spaces as people do.
SIRET = "732 829 320 00074"


def _organisation(name="Les Jardins de Redon", **fields) -> Organisation:
    fields.setdefault("family", "association")
    organisation = services.create_organisation(None, name=name, **fields)
    db.session.commit()
    return organisation


# Models


def test_clean_siret_accepts_siren_and_siret_and_refuses_a_bad_check_digit():
    assert clean_siret(SIRET) == "73282932000074"
    assert clean_siret("732 829 320") == "732829320"
    assert clean_siret("  ") == ""
    for bad in ("73282932000075", "12345", "abcdefghi"):
        with pytest.raises(ValueError):
            clean_siret(bad)


def test_an_organisation_keeps_french_search_keys(app):
    organisation = _organisation("Épicerie Solidaire", commune="Saint-Nicolas-de-Redon",
                                 sector="Alimentation", skills="Comptabilité\nGouvernance")
    assert organisation.name_key == "epicerie solidaire"
    assert organisation.commune_key == "saint-nicolas-de-redon"
    assert organisation.sector_key == "alimentation"
    assert organisation.skill_list == ["Comptabilité", "Gouvernance"]


def test_deleting_an_organisation_deletes_its_contacts(app):
    organisation = services.create_organisation(
        None, name="Coop Bois", family="cooperative",
        contacts=({"name": "Anne Briand", "email": "anne@example.org"},))
    db.session.commit()
    assert services.delete_organisation(organisation) == []
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OrganisationContact)) == 0


def test_a_linked_organisation_is_not_deleted_and_says_what_links_it(app, monkeypatch):
    organisation = _organisation()
    monkeypatch.setattr(services, "LINK_CHECKS", [lambda org: "2 mentorships"])
    assert services.delete_organisation(organisation) == ["2 mentorships"]
    db.session.commit()
    assert db.session.get(Organisation, organisation.id) is not None


# Who reads


@pytest.mark.parametrize("role, status", [("advisor", 200), ("manager", 200),
                                          ("mentor", 200), ("holder", 403)])
def test_the_directory_is_for_staff_and_mentors(client, login, role, status):
    login(role)
    assert client.get("/members").status_code == status


def test_a_visitor_is_sent_to_log_in(client, app):
    assert client.get("/members").status_code in (302, 303)


def test_contacts_are_shown_to_staff_only(client, login, auth):
    organisation = services.create_organisation(
        None, name="Coop Bois", family="cooperative",
        contacts=({"name": "Anne Briand", "email": "anne@example.org", "phone": "02 99 00"},))
    db.session.commit()
    login("advisor")
    html = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert "anne@example.org" in html and "Anne Briand" in html
    auth.logout()
    login("mentor")
    response = client.get(f"/members/{organisation.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Coop Bois" in html
    assert "anne@example.org" not in html and "Anne Briand" not in html


def test_an_unknown_organisation_is_404(client, login):
    login("advisor")
    assert client.get("/members/999").status_code == 404


# The list


def _names(html: str, *names: str) -> list[str]:
    return sorted((name for name in names if name in html), key=html.index)


def test_the_list_searches_without_accents_filters_and_sorts_in_french_order(client, login):
    login("advisor")
    _organisation("Élan Coop", family="cooperative", commune="Redon", is_member=True,
                  member_since=2019, skills="Gouvernance\nComptabilité", employer=True, headcount=12)
    _organisation("Ecume", commune="Allaire", sector="Culture")
    _organisation("Abeille", family="mutual", commune="redon", employer=True, headcount=40)
    _organisation("Zèbre", archived_at=None, commune="Bains-sur-Oust")
    html = client.get("/members").get_data(as_text=True)
    assert _names(html, "Abeille", "Ecume", "Élan Coop", "Zèbre") == [
        "Abeille", "Ecume", "Élan Coop", "Zèbre"]
    assert "4 organisations" in html
    html = client.get("/members?q=elan").get_data(as_text=True)
    assert "Élan Coop" in html and "Abeille" not in html
    assert "1 organisation" in html
    html = client.get("/members?commune=REDON&sort=headcount").get_data(as_text=True)
    assert _names(html, "Abeille", "Élan Coop", "Ecume") == ["Abeille", "Élan Coop"]
    html = client.get("/members?member=yes").get_data(as_text=True)
    assert _names(html, "Abeille", "Élan Coop") == ["Élan Coop"]
    html = client.get("/members?employer=no&sector=culture").get_data(as_text=True)
    assert _names(html, "Abeille", "Ecume", "Zèbre") == ["Ecume"]
    html = client.get("/members?skill=COMPTA").get_data(as_text=True)
    assert _names(html, "Abeille", "Ecume", "Élan Coop") == ["Élan Coop"]
    html = client.get("/members?family=mutual").get_data(as_text=True)
    assert _names(html, "Abeille", "Ecume") == ["Abeille"]


def test_archived_organisations_are_hidden_unless_asked(client, login):
    login("advisor")
    organisation = _organisation("Ancienne Coop")
    services.set_archived(organisation, True)
    db.session.commit()
    assert "Ancienne Coop" not in client.get("/members").get_data(as_text=True)
    assert "Ancienne Coop" in client.get("/members?archived=1").get_data(as_text=True)


def test_the_list_answers_htmx_with_the_results_fragment(client, login):
    login("advisor")
    _organisation("Abeille")
    response = client.get("/members?q=abei", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="member-results"')
    assert "Abeille" in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/members?q=abei")
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]


def test_pagination_links_keep_the_search_filters_and_sort(client, login):
    login("advisor")
    for i in range(queries.PER_PAGE + 2):
        _organisation(f"Asso {i:02d}", commune="Redon")
    html = client.get("/members?q=asso&commune=Redon&sort=commune").get_data(as_text=True)
    assert "page=2" in html and "q=asso" in html and "sort=commune" in html
    assert "commune=Redon" in html
    html = client.get("/members?q=asso&commune=Redon&sort=commune&page=2").get_data(
        as_text=True)
    assert "Asso 26" in html and "Asso 00" not in html


def test_a_bad_page_number_is_400_and_unknown_filters_are_ignored(client, login):
    login("advisor")
    assert client.get("/members?page=abc").status_code == 400
    assert client.get("/members?family=bogus&sort=nope&member=maybe").status_code == 200
    assert DirectoryFilters.from_args({"family": "bogus", "sort": "x"}) == DirectoryFilters()


def test_user_text_is_escaped(client, login):
    login("advisor")
    organisation = _organisation("<script>alert(1)</script>", commune="<b>Redon</b>")
    html = client.get("/members").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    html = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert "<b>Redon</b>" not in html


def test_the_list_costs_a_fixed_number_of_statements(client, login):
    login("advisor")

    def render(url: str = "/members") -> int:
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def add(n: int) -> None:
        for i in range(n):
            services.create_organisation(
                None, name=f"Org {i}", family="association", commune="Redon",
                sector="Culture", contacts=({"name": f"Contact {i}"},))
        db.session.commit()

    add(3)
    small = render(), render("/members?q=org&commune=Redon&sort=commune"), render(
        "/members/1")
    add(20)
    assert (render(), render("/members?q=org&commune=Redon&sort=commune"),
            render("/members/1")) == small


def test_the_nav_shows_the_directory_to_staff_and_mentors_only(client, login, auth):
    login("advisor")
    assert 'href="/members"' in client.get("/", follow_redirects=True).get_data(as_text=True)
    auth.logout()
    login("holder")
    assert 'href="/members"' not in client.get("/", follow_redirects=True).get_data(as_text=True)


# Writing


def _form(**overrides) -> dict:
    data = {"name": "Scic Energies Citoyennes", "family": "cooperative", "siret": SIRET,
            "sector": "Énergie", "commune": "Redon", "headcount": "4", "employer": "y",
            "is_member": "y", "member_since": "2020", "skills": "Gouvernance\nFinancement",
            "mentoring_capacity": "2", "website": "https://example.org", "notes": "",
            "legal_category": "5560", "naf_code": "35.14Z", "commune_insee": "35236",
            "headcount_band": "02"}
    data.update(overrides)
    return data


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation))


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_create_an_organisation(client, login, htmx):
    login("advisor")
    page = client.get("/members/new")
    assert page.status_code == 200 and "novalidate" in page.get_data(as_text=True)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/members/new", data=_form(), headers=headers)
    organisation = db.session.scalars(select(Organisation)).one()
    if htmx:
        assert response.status_code == 204
        assert response.headers["HX-Redirect"] == f"/members/{organisation.id}"
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/members/{organisation.id}")
    assert organisation.siret == "73282932000074"
    assert organisation.is_member and organisation.member_since == 2020
    assert organisation.sector_key == "energie" and organisation.mentoring_capacity == 2


def test_an_invalid_organisation_comes_back_with_errors_and_input(client, login):
    login("advisor")
    response = client.post("/members/new", data=_form(name="", siret="123 456 789",
                                                       member_since="1200"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the organisation" in html and "SIREN" in html and "Enter a year" in html
    assert "Redon" in html  # input kept
    assert _count() == 0


def test_the_create_form_is_accepted_once(client, login):
    login("advisor")
    html = client.get("/members/new").get_data(as_text=True)
    token = html.split('name="form_token" value="')[1].split('"')[0]
    first = client.post("/members/new", data=_form(form_token=token))
    again = client.post("/members/new", data=_form(form_token=token))
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _count() == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_edit_an_organisation_and_a_stale_edit_is_409_with_input_kept(
        client, login, htmx):
    login("advisor")
    organisation = _organisation("Coop Bois", commune="Redon")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/members/{organisation.id}/edit", headers=headers,
                           data=_form(name="Coop Bois d’Oust", version=1))
    assert response.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert organisation.name == "Coop Bois d’Oust" and organisation.version == 2
    assert organisation.name_key == "coop bois d'oust"
    stale = client.post(f"/members/{organisation.id}/edit", headers=headers,
                        data=_form(name="Mon autre nom", version=1))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Mon autre nom" in html and "Coop Bois d’Oust" in html
    assert 'name="version" type="hidden" value="2"' in html or 'value="2"' in html
    db.session.expire_all()
    assert organisation.name == "Coop Bois d’Oust"


@pytest.mark.parametrize("htmx", [False, True])
def test_archive_asks_first_then_archives_and_unarchives(client, login, htmx):
    login("advisor")
    organisation = _organisation("Coop Bois")
    headers = {"HX-Request": "true"} if htmx else {}
    url = f"/members/{organisation.id}/archive"
    asked = client.post(url, data={"archived": 1, "version": 1}, headers=headers)
    assert asked.status_code == 200 and "Archive Coop Bois?" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert organisation.archived_at is None
    response = client.post(url, data={"archived": 1, "version": 1, "confirm": 1},
                           headers=headers)
    assert response.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert organisation.is_archived
    assert client.post(url, data={"archived": 0, "version": 1, "confirm": 1},
                       headers=headers).status_code == 409
    client.post(url, data={"archived": 0, "version": 2, "confirm": 1}, headers=headers)
    db.session.expire_all()
    assert not organisation.is_archived


@pytest.mark.parametrize("htmx", [False, True])
def test_delete_asks_first_and_is_refused_when_linked(client, login, htmx, monkeypatch):
    login("advisor")
    organisation = _organisation("Coop Bois")
    headers = {"HX-Request": "true"} if htmx else {}
    url = f"/members/{organisation.id}/delete"
    monkeypatch.setattr(services, "LINK_CHECKS", [lambda org: "it mentors 2 projects"])
    refused = client.post(url, data={"confirm": 1}, headers=headers)
    assert refused.status_code == 409
    assert "it mentors 2 projects" in refused.get_data(as_text=True)
    assert "Archive it instead" in refused.get_data(as_text=True)
    monkeypatch.setattr(services, "LINK_CHECKS", [])
    asked = client.post(url, headers=headers)
    assert asked.status_code == 200 and _count() == 1
    response = client.post(url, data={"confirm": 1, "version": 1}, headers=headers)
    assert response.status_code == (204 if htmx else 303)
    assert _count() == 0


@pytest.mark.parametrize("role", ["mentor", "holder"])
def test_only_staff_write(client, login, role):
    organisation = _organisation("Coop Bois")
    login(role)
    for url in ("/members/new", f"/members/{organisation.id}/edit"):
        assert client.get(url).status_code == 403
    for url in ("/members/new", f"/members/{organisation.id}/edit",
                f"/members/{organisation.id}/archive", f"/members/{organisation.id}/delete"):
        assert client.post(url, data={**_form(), "confirm": 1, "archived": 1}).status_code == 403
    assert _count() == 1


def test_the_demo_fills_a_believable_directory(app):
    from incubator.demo import ORGANISATIONS, load_demo

    assert load_demo()
    db.session.commit()
    organisations = db.session.scalars(select(Organisation)).all()
    assert len(organisations) == len(ORGANISATIONS) >= 20
    families = {o.family for o in organisations}
    assert {"association", "cooperative", "mutual", "foundation", "esus_company"} <= families
    members = [o for o in organisations if o.is_member]
    assert 0 < len(members) < len(organisations)
    assert all(o.member_since for o in members)


# Contact people


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_add_and_remove_a_contact_person(client, login, htmx):
    login("advisor")
    organisation = _organisation("Coop Bois")
    headers = {"HX-Request": "true"} if htmx else {}
    url = f"/members/{organisation.id}/contacts"
    bad = client.post(url, data={"contact_name": "", "email": "pas-un-courriel"},
                      headers=headers)
    assert bad.status_code == 422
    assert "Give the person" in bad.get_data(as_text=True)
    response = client.post(url, data={"contact_name": "Anne Briand", "role": "Présidente",
                                      "email": "anne@example.org", "phone": "02 99"},
                           headers=headers)
    assert response.status_code == (204 if htmx else 303)
    contact = db.session.scalars(select(OrganisationContact)).one()
    assert (contact.name, contact.role, contact.email) == (
        "Anne Briand", "Présidente", "anne@example.org")
    remove = f"/members/{organisation.id}/contacts/{contact.id}/delete"
    asked = client.post(remove, headers=headers)
    assert asked.status_code == 200 and "Anne Briand" in asked.get_data(as_text=True)
    assert client.post(f"/members/999/contacts/{contact.id}/delete",
                       data={"confirm": 1}).status_code == 404
    response = client.post(remove, data={"confirm": 1}, headers=headers)
    assert response.status_code == (204 if htmx else 303)
    assert db.session.scalar(select(func.count()).select_from(OrganisationContact)) == 0


def test_the_contact_form_sent_twice_adds_one_contact(client, login):
    """A creating form: its one-time token makes a double click (or a replay) harmless."""
    import re

    login("advisor")
    organisation = _organisation("Coop Bois")
    page = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {"contact_name": "Anne Briand", "form_token": token}
    first = client.post(f"/members/{organisation.id}/contacts", data=data)
    again = client.post(f"/members/{organisation.id}/contacts", data=data)
    assert (first.status_code, again.status_code) == (303, 303)
    assert db.session.scalar(select(func.count()).select_from(OrganisationContact)) == 1


def test_mentors_may_not_add_nor_remove_contacts(client, login):
    organisation = services.create_organisation(
        None, name="Coop Bois", family="cooperative", contacts=({"name": "Anne Briand"},))
    db.session.commit()
    contact_id = db.session.scalars(select(OrganisationContact.id)).one()
    login("mentor")
    assert client.post(f"/members/{organisation.id}/contacts",
                       data={"contact_name": "X"}).status_code == 403
    assert client.post(f"/members/{organisation.id}/contacts/{contact_id}/delete",
                       data={"confirm": 1}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(OrganisationContact)) == 1


# Found by attacking the directory (hostile input, forged requests, stale addresses)

# Characters whose search key is longer than themselves (ﷺ spells out as 18 letters):
# a name at its maximum length must still fit its key column (VARCHAR on PostgreSQL).
LONG_KEY_TEXTS = ["ß", "…", "\ufdfa"]


@pytest.mark.parametrize("text", LONG_KEY_TEXTS)
def test_a_name_sector_and_commune_at_their_maximum_length_are_saved_and_found(
        client, login, text):
    login("advisor")
    response = client.post("/members/new", data=_form(
        name=text * 200, sector=text * 100, commune=text * 100))
    assert response.status_code == 303
    organisation = db.session.scalars(select(Organisation)).one()
    assert organisation.name == text * 200
    for args in ({"commune": text * 100}, {"sector": text * 100}, {"q": text * 20}):
        html = client.get("/members", query_string=args).get_data(as_text=True)
        assert "1 organisation" in html, args
    edited = client.post(f"/members/{organisation.id}/edit", data=_form(
        name=text * 199 + "x", commune=text * 100, version=1))
    assert edited.status_code == 303
    db.session.expire_all()
    assert organisation.name.endswith("x") and organisation.version == 2


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200d\ufeff", " \u2060 ", "\u200c"])
def test_a_name_of_invisible_characters_only_is_refused(client, login, invisible):
    login("advisor")
    response = client.post("/members/new", data=_form(name=invisible, commune=invisible))
    assert response.status_code == 422
    assert "Give the organisation" in response.get_data(as_text=True)
    assert _count() == 0
    organisation = _organisation("Coop")
    response = client.post(f"/members/{organisation.id}/contacts",
                           data={"contact_name": invisible})
    assert response.status_code == 422
    assert "Give the person" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OrganisationContact)) == 0


def test_invisible_characters_around_a_text_are_dropped_and_inside_kept(client, login):
    login("advisor")
    response = client.post("/members/new", data=_form(
        name="\u200bCoop\u200d du\u00a0Bois\ufeff", commune="\u200bRedon", sector="👩‍🌾"))
    assert response.status_code == 303
    organisation = db.session.scalars(select(Organisation)).one()
    assert organisation.name == "Coop\u200d du\u00a0Bois"
    assert organisation.commune == "Redon" and organisation.sector == "👩‍🌾"


@pytest.mark.parametrize("version", [None, "", "abc", "0", "-1", "99999999999999999999"])
@pytest.mark.parametrize("htmx", [False, True])
def test_archiving_without_a_valid_version_is_refused(client, login, version, htmx):
    login("advisor")
    organisation = _organisation("Coop")
    data = {"archived": "1", "confirm": "1"}
    if version is not None:
        data["version"] = version
    response = client.post(f"/members/{organisation.id}/archive", data=data, htmx=htmx)
    assert response.status_code == 409
    assert "Someone changed this organisation" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not organisation.is_archived and organisation.version == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_page_past_the_last_shows_the_last_page(client, login, htmx):
    login("advisor")
    for i in range(queries.PER_PAGE + 2):
        _organisation(f"Asso {i:02d}")
    response = client.get("/members?page=99999&q=asso", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Asso 26" in html and "Asso 00" not in html
    assert "Page 2 of 2" in html and "page=99998" not in html
    empty = client.get("/members?page=3&q=nothing-matches", htmx=htmx)
    assert empty.status_code == 200 and "0 organisations" in empty.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_an_organisation_already_in_the_directory_is_not_added_twice(client, login, htmx):
    """Back to the form after adding (the browser keeps what was typed, the page a fresh
    one-time token) and sent again, or added by two colleagues: the SIRET, or the same name
    in the same commune, says it is already there."""
    login("advisor")
    existing = _organisation("Scic Énergies Citoyennes", siret="73282932000074",
                             commune="Redon")
    response = client.post("/members/new", data=_form(name="Autre nom"), htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Scic Énergies Citoyennes is already in the directory with this SIREN or SIRET" in html
    assert "Autre nom" in html  # input kept
    response = client.post("/members/new", htmx=htmx, data=_form(
        name="SCIC energies  citoyennes", siret="", commune="REDON"))
    assert response.status_code == 422
    assert "Scic Énergies Citoyennes (Redon) is already in the directory" in (
        response.get_data(as_text=True))
    # the commune left out (the browser does not restore it on going back): the same one
    response = client.post("/members/new", htmx=htmx, data=_form(
        name="Scic Energies Citoyennes", siret="", commune=""))
    assert response.status_code == 422
    assert _count() == 1
    # the same name elsewhere is another organisation (an agency, a branch)
    response = client.post("/members/new", htmx=htmx, data=_form(
        name="Scic Énergies Citoyennes", siret="", commune="Allaire"))
    assert response.status_code == (204 if htmx else 303)
    assert _count() == 2
    assert existing.id


def test_an_edit_may_keep_its_own_siret_but_not_take_another_one(client, login):
    login("advisor")
    _organisation("Coop A", siret="73282932000074")
    other = _organisation("Coop B")
    response = client.post(f"/members/{other.id}/edit",
                           data=_form(name="Coop B", siret=SIRET, version=1))
    assert response.status_code == 422
    assert "Coop A is already in the directory" in response.get_data(as_text=True)
    response = client.post(f"/members/{other.id}/edit",
                           data=_form(name="coop a", commune="", siret="", version=1))
    assert response.status_code == 422
    db.session.expire_all()
    assert other.name == "Coop B" and other.version == 1
    first = db.session.scalars(select(Organisation).where(Organisation.name == "Coop A")).one()
    response = client.post(f"/members/{first.id}/edit",
                           data=_form(name="Coop A", commune="", siret=SIRET, version=1))
    assert response.status_code == 303


def test_the_filters_show_the_sector_and_commune_they_apply_whatever_the_spelling(client,
                                                                                  login):
    """``?commune=REDON`` (typed, or an old bookmark) filters on Redon: the select says so
    rather than "All" above a filtered list; a value nobody uses any more is shown too."""
    login("advisor")
    _organisation("Abeille", commune="Redon", sector="Culture")
    html = client.get("/members?commune=REDON&sector=culture").get_data(as_text=True)
    assert "<option selected>Redon</option>" in html
    assert "<option selected>Culture</option>" in html
    assert "1 organisation" in html
    html = client.get("/members?commune=Atlantis").get_data(as_text=True)
    assert "<option selected>Atlantis</option>" in html and "0 organisations" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_archived_organisations_can_be_found_from_the_form_and_are_marked(client, login, htmx):
    login("advisor")
    organisation = _organisation("Ancienne Coop")
    active = _organisation("Coop Active")
    services.set_archived(organisation, True)
    db.session.commit()
    page = client.get("/members").get_data(as_text=True)
    assert 'id="member-archived" name="archived" value="1">' in page
    html = client.get("/members?archived=1", htmx=htmx).get_data(as_text=True)
    def item(obj) -> str:
        return html.split(f'id="organisation-{obj.id}"')[1].split("</li>")[0]

    assert "Archived" in item(organisation) and "Archived" not in item(active)
    if not htmx:
        assert 'id="member-archived" name="archived" value="1" checked>' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_deleting_an_organisation_changed_since_the_page_was_read_is_refused(client, login,
                                                                            htmx):
    """A colleague renamed it (or brought it back) after the page was shown: the delete
    confirmed on the old page does not delete what the user has not seen."""
    login("advisor")
    organisation = _organisation("Coop Bois")
    page = client.get(f"/members/{organisation.id}").get_data(as_text=True)
    assert 'name="version" value="1"' in page.split('/delete"')[1].split("</form>")[0]
    services.update_organisation(organisation, 1, name="Coop Bois et Forêt")
    db.session.commit()
    url = f"/members/{organisation.id}/delete"
    for version in ("1", "", "abc", None):
        data = {"confirm": "1"} if version is None else {"confirm": "1", "version": version}
        response = client.post(url, data=data, htmx=htmx)
        assert response.status_code == 409, version
        assert "Someone changed this organisation" in response.get_data(as_text=True)
    assert _count() == 1
    assert client.post(url, data={"confirm": "1", "version": "2"}, htmx=htmx).status_code == (
        204 if htmx else 303)
    assert _count() == 0


def test_skills_are_kept_one_per_line_without_blank_or_invisible_lines(client, login):
    login("advisor")
    response = client.post("/members/new", data=_form(
        skills="  Gouvernance  \r\n\u200b\n\n\ufeffComptabilité\u200b\n   \n"))
    assert response.status_code == 303
    organisation = db.session.scalars(select(Organisation)).one()
    assert organisation.skills == "Gouvernance\nComptabilité"
    assert organisation.skill_list == ["Gouvernance", "Comptabilité"]


@pytest.mark.parametrize("version", ["abc", "99999999999999999999", "-1", "2.5"])
def test_an_edit_with_an_altered_version_is_a_conflict_that_can_be_saved_again(client, login,
                                                                             version):
    """Before: 422 "Not a valid integer value" with nothing to correct, and the bad hidden
    value sent back into the form, so every new attempt failed the same way."""
    login("advisor")
    organisation = _organisation("Coop Bois")
    response = client.post(f"/members/{organisation.id}/edit",
                           data=_form(name="Coop Bois d’Oust", version=version))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Coop Bois d’Oust" in html  # input kept
    assert 'name="version" type="hidden" value="1"' in html
    again = client.post(f"/members/{organisation.id}/edit",
                        data=_form(name="Coop Bois d’Oust", version="1"))
    assert again.status_code == 303
