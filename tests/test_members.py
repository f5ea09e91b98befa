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
                  member_since=2019, employer=True, headcount=12)
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
