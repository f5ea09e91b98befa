"""The board's filter lists after a write made through a real route: kept per process while
the ``choices`` revision holds (board/queries.filter_choices), they must show the write on
the next board page. ``BOARD_FILTER_CHOICES_SECONDS`` is set to an hour, so only the
revision can refresh them (a stale list would be served otherwise)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from incubator import revisions
from incubator.board import pages
from incubator.extensions import db
from incubator.members import services as members
from incubator.models import Cohort, Mentorship

from . import factories


@pytest.fixture(autouse=True)
def kept_lists(app):
    app.config["BOARD_FILTER_CHOICES_SECONDS"] = 3600
    app.config["BOARD_PAGE_CACHE_KB"] = 8192
    app.extensions.pop("board_filter_choices", None)
    pages.clear()
    yield
    pages.clear()


def _filters(client) -> str:
    """The board page's filter form (what the kept lists render)."""
    response = client.get("/board")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    start = html.index('name="advisor"')
    return html[start:html.index("</form>", start)]


def _close(client, project):
    return client.post(f"/projects/{project.id}/close", data={
        "outcome": "abandoned", "reason": "Le collectif s'est dispersé",
        "version": project.version})


def _pause(client, project):
    return client.post(f"/projects/{project.id}/pause",
                       data={"reason": "", "version": project.version})


def test_closing_pausing_and_reopening_a_project_update_the_communes_offered(client, login):
    login("manager")
    project = factories.project(title="Épicerie", commune="Peillac")
    factories.project(title="Recyclerie", commune="Redon")
    db.session.commit()
    assert ">Peillac</option>" in _filters(client)

    assert _pause(client, project).status_code == 303
    assert ">Peillac</option>" not in _filters(client)
    db.session.refresh(project)
    assert client.post(f"/projects/{project.id}/reopen", data={
        "confirm": "1", "version": project.version}).status_code == 303
    assert ">Peillac</option>" in _filters(client)
    db.session.refresh(project)
    assert _close(client, project).status_code == 303
    html = _filters(client)
    assert ">Peillac</option>" not in html and ">Redon</option>" in html


def test_deactivating_an_advisor_takes_them_out_of_the_advisors_offered(client, login):
    login("manager")
    advisor = factories.user(role="advisor", name="Gwenola Conseil")
    db.session.commit()
    assert ">Gwenola Conseil</option>" in _filters(client)
    response = client.post(f"/admin/users/{advisor.id}/active",
                           data={"confirm": "1", "active": "0"})
    assert response.status_code == 303
    assert ">Gwenola Conseil</option>" not in _filters(client)


def test_archiving_a_cohort_takes_it_out_of_the_cohorts_offered(client, login):
    login("manager")
    cohort = Cohort(name="Promo Printemps", starts_on=date(2027, 3, 1), ends_on=date(2027, 6, 30))
    db.session.add(cohort)
    db.session.commit()
    assert ">Promo Printemps</option>" in _filters(client)
    response = client.post(f"/admin/cohorts/{cohort.id}/archive", data={
        "confirm": "1", "archived": "1", "version": cohort.version})
    assert response.status_code in (200, 303)
    assert db.session.get(Cohort, cohort.id).archived_at is not None
    assert ">Promo Printemps</option>" not in _filters(client)


def test_ending_a_mentorship_takes_the_organisation_out_of_the_mentors_offered(
        client, login):
    login("manager")
    project = factories.project(title="Tiers-lieu")
    organisation = members.create_organisation(None, name="Coop Bois", family="association")
    db.session.flush()
    mentorship = Mentorship(project_id=project.id, organisation_id=organisation.id,
                            started_on=date(2025, 1, 6))
    db.session.add(mentorship)
    db.session.commit()
    assert ">Coop Bois</option>" in _filters(client)
    choices = revisions.current("choices")
    response = client.post(f"/projects/{project.id}/mentors/{mentorship.id}/end",
                           data={"ended_on": "2025-06-30", "version": mentorship.version})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]
    assert revisions.current("choices") != choices
    assert ">Coop Bois</option>" not in _filters(client)


@pytest.mark.parametrize("chosen", ["own", "other", "absent", "text", "huge"])
def test_a_hostile_mentor_name_stays_text_and_one_option_at_most_is_chosen(
        client, login, chosen):
    """Organisation names that look like markup or like an option (quotes, ``<``, ``">``,
    ``selected``, another option's tag) stay text in the mentor list, and the option the
    filter names (if offered) is the only one marked, whatever the ``mentor`` parameter."""
    login("manager")
    project, other = factories.project(title="Tiers-lieu"), factories.project(title="Ferme")
    hostile = members.create_organisation(
        None, family="association",
        name='Coop "Bois"><option value="1" selected>Faux</option> selected <b>')
    plain = members.create_organisation(None, name="Atelier", family="association")
    db.session.flush()
    db.session.add_all([
        Mentorship(project_id=project.id, organisation_id=hostile.id, started_on=date(2025, 1, 6)),
        Mentorship(project_id=other.id, organisation_id=plain.id, started_on=date(2025, 1, 6))])
    db.session.commit()
    value = {"own": hostile.id, "other": plain.id, "absent": 999999, "text": "abc",
             "huge": "9" * 40}[chosen]
    for _ in range(2):  # rendered, then from the kept options
        response = client.get(f"/board?mentor={value}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        start = html.index('<select name="mentor">')
        select = html[start:html.index("</select>", start)]
        assert select.count("<option") == 3  # "All" and the two organisations
        assert "<b>" not in select and "Faux</option>" not in select
        assert "&lt;option value=&#34;1&#34; selected&gt;Faux&lt;/option&gt;" in select
        marked = select.count(" selected>")
        if chosen in ("own", "other"):
            assert marked == 1 and f'<option value="{value}" selected>' in select
        else:
            assert marked == 0


def test_an_accepted_invitation_puts_the_advisor_in_the_advisors_offered(
        app, client, login, auth):
    """An invited advisor (no password yet) is not offered; setting the password through
    the invitation's link (a write of ``password_hash``, which the board's own revision
    ignores) offers them on the next page."""
    login("manager")
    assert client.post("/admin/users/invite", data={
        "name": "Sophie Maillard", "email": "sophie@cades.example",
        "role": "advisor"}).status_code == 303
    assert ">Sophie Maillard</option>" not in _filters(client)
    link = re.search(r"http://localhost(/auth/password/\S+)",
                     app.extensions["outbox"][-1].get_content()).group(1)
    auth.logout()
    password = "le bocage de redon en hiver"
    assert client.post(link, data={"password": password, "confirm": password}).status_code == 303
    assert ">Sophie Maillard</option>" in _filters(client)


def test_a_renamed_mentoring_organisation_is_offered_under_its_new_name(client, login):
    login("manager")
    project = factories.project(title="Tiers-lieu")
    organisation = members.create_organisation(None, name="Scic Energies Citoyennes",
                                               family="cooperative")
    db.session.flush()
    db.session.add(Mentorship(project_id=project.id, organisation_id=organisation.id,
                              started_on=date(2025, 1, 6)))
    db.session.commit()
    assert ">Scic Energies Citoyennes</option>" in _filters(client)
    response = client.post(f"/members/{organisation.id}/edit", data={
        "name": "Scic Soleil", "family": "cooperative", "sector": "Énergie",
        "commune": "Redon", "version": organisation.version})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    html = _filters(client)
    assert ">Scic Soleil</option>" in html and "Scic Energies Citoyennes" not in html


def test_a_submitted_idea_and_an_edited_commune_reach_the_communes_offered(
        client, login, auth):
    """A holder submitting a draft (a new active project) and an edit of an active
    project's commune (through the project's form) are offered at once."""
    holder = login("holder")
    draft = factories.project(holders=[holder], status="draft", title="Brouillon")
    db.session.commit()
    response = client.post(f"/projects/{draft.id}/edit", data=factories.complete_idea(
        submit_idea="y", commune="Langon", version=1))
    assert response.status_code == 303
    auth.logout()
    manager = login("manager")
    assert ">Langon</option>" in _filters(client)
    project = factories.project(title="Ferme", commune="Rieux", advisor=manager)
    db.session.commit()
    assert ">Rieux</option>" in _filters(client)
    response = client.post(f"/projects/{project.id}/edit", data=factories.complete_idea(
        title="Ferme", commune="Fégréac", version=project.version))
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    html = _filters(client)
    assert ">Fégréac</option>" in html and ">Rieux</option>" not in html
