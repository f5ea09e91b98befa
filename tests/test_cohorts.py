"""Cohorts (issue 13, part D): /admin/cohorts (managers: add once, edit version-checked,
archive, the history of every change), a cohort's page and its projects (staff: add by
search, take out, the membership kept), the project page's section, the board's and the
pipeline review's cohort filter, the comparison of cohorts (hand-computed on the fixed
history of tests/pipeline_history.py) and its export, who may do what."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from incubator.cohorts import services
from incubator.extensions import db
from incubator.models import (
    AccompanimentTime,
    AppendOnlyError,
    Cohort,
    CohortProject,
    CohortVersion,
    ProjectEvent,
)
from incubator.pipeline import queries as review_queries
from incubator.pipeline.queries import Period, ReviewFilters

from . import factories, pipeline_history
from .helpers import count_statements
from .pipeline_history import at

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
NOW = at(2027, 1, 15, 10)
TODAY = date(2027, 1, 15)
YEAR_2026 = ReviewFilters(Period(date(2026, 1, 1), date(2026, 12, 31)), "")


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _cohort(name: str = "Idéateur — printemps 2027", **fields) -> Cohort:
    values = {"starts_on": date(2027, 3, 1), "ends_on": date(2027, 6, 30)}
    values.update(fields)
    cohort = services.create_cohort(None, name=name, **values)
    db.session.commit()
    return cohort


def _form(**changes) -> dict:
    data = {"name": "Incubateur — automne 2027", "name_en": "Incubator — autumn 2027",
            "starts_on": "2027-09-01", "ends_on": "2028-02-28",
            "description": "Douze projets collectifs."}
    data.update(changes)
    return data


def _token(client) -> str:
    return TOKEN.search(client.get("/admin/cohorts").get_data(as_text=True)).group(1)


def _redirected(response, htmx: bool, to: str) -> None:
    if htmx:
        assert response.headers["HX-Redirect"].split("#")[0].endswith(to)
    else:
        assert response.status_code == 303
        assert response.headers["Location"].split("#")[0].endswith(to)


# Who may do what -------------------------------------------------------------------------


def _manager_posts(cohort) -> list[str]:
    return ["/admin/cohorts/new", f"/admin/cohorts/{cohort.id}/edit",
            f"/admin/cohorts/{cohort.id}/archive"]


def _staff_posts(cohort, project) -> list[str]:
    return [f"/cohorts/{cohort.id}/projects",
            f"/cohorts/{cohort.id}/projects/{project.id}/remove",
            f"/projects/{project.id}/cohorts",
            f"/projects/{project.id}/cohorts/{cohort.id}/remove"]


def test_advisors_read_cohorts_but_only_managers_change_them(client, login):
    cohort = _cohort()
    project = factories.project(title="Épicerie vrac")
    db.session.commit()
    login("advisor")
    assert client.get("/cohorts").status_code == 200
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.get("/admin/cohorts").status_code == 403
    assert client.get(f"/admin/cohorts/{cohort.id}/edit").status_code == 403
    for url in _manager_posts(cohort):
        assert client.post(url, data={**_form(), "archived": "1", "confirm": "1",
                                      "version": "1"}).status_code == 403, url
    assert _count(Cohort) == 1 and _count(CohortVersion) == 1
    assert client.post(f"/cohorts/{cohort.id}/projects",
                       data={"project_id": project.id}).status_code == 303


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_holders_and_mentors_see_and_change_no_cohort(client, login, role):
    cohort = _cohort()
    project = factories.project(title="Épicerie vrac")
    db.session.commit()
    login(role)
    for url in ["/cohorts", f"/cohorts/{cohort.id}", f"/cohorts/{cohort.id}?q=epi",
                "/admin/cohorts", f"/admin/cohorts/{cohort.id}/edit"]:
        assert client.get(url).status_code == 403, url
    for url in _manager_posts(cohort) + _staff_posts(cohort, project)[:2]:
        assert client.post(url, data={"project_id": project.id, "confirm": "1"}
                           ).status_code == 403, url
    # The project's own routes: a project they cannot see is not found, as anywhere else.
    for url in _staff_posts(cohort, project)[2:]:
        assert client.post(url, data={"cohort_id": cohort.id, "confirm": "1"}
                           ).status_code in (403, 404), url
    assert _count(CohortProject) == 0


def test_a_holder_sees_no_cohort_on_their_project_page(client, team):
    cohort = _cohort()
    services.add_project(team.advisor, cohort, team.project)
    db.session.commit()
    client.post("/auth/login", data={"email": team.holder.email,
                                     "password": factories.PASSWORD})
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "project-cohorts" not in html and cohort.name not in html
    assert client.post(f"/projects/{team.project.id}/cohorts/{cohort.id}/remove",
                       data={"confirm": "1"}).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    cohort = _cohort()
    for url in ["/cohorts", f"/cohorts/{cohort.id}", "/admin/cohorts"]:
        response = client.get(url)
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]


# /admin/cohorts --------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_a_manager_adds_a_cohort_once_and_the_history_says_who(client, login, htmx):
    manager = login("manager", name="Claire Rouxel")
    token = _token(client)
    response = client.post("/admin/cohorts/new", data={**_form(), "form_token": token},
                           htmx=htmx)
    _redirected(response, htmx, "/admin/cohorts")
    again = client.post("/admin/cohorts/new", data={**_form(), "form_token": token}, htmx=htmx)
    cohort = db.session.scalars(select(Cohort)).one()
    _redirected(again, htmx, f"/cohorts/{cohort.id}")
    assert (cohort.name, cohort.name_en, cohort.starts_on, cohort.ends_on, cohort.version) == (
        "Incubateur — automne 2027", "Incubator — autumn 2027", date(2027, 9, 1),
        date(2028, 2, 28), 1)
    version = db.session.scalars(select(CohortVersion)).one()
    assert (version.changed_fields, version.changed_by_id, version.version) == (
        "created", manager.id, 1)
    html = client.get("/admin/cohorts").get_data(as_text=True)
    assert "Incubateur — automne 2027" in html and "Claire Rouxel" in html


@pytest.mark.parametrize("changes, message", [
    ({"ends_on": "2027-09-01"}, "The cohort must end after it starts."),
    ({"ends_on": "2027-08-01"}, "The cohort must end after it starts."),
    ({"name": ""}, "Give the cohort a name."),
    ({"starts_on": "demain"}, "Enter a date"),
    ({"name": "IDEATEUR - Printemps 2027"}, "A cohort is already named"),
])
def test_a_cohort_with_bad_dates_or_a_name_taken_is_refused_with_its_input(
        client, login, changes, message):
    _cohort("Idéateur - printemps 2027")
    login("manager")
    response = client.post("/admin/cohorts/new",
                           data={**_form(**changes), "form_token": _token(client)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Douze projets collectifs." in html
    assert _count(Cohort) == 1


def test_the_service_refuses_what_the_form_refuses(app):
    _cohort("Idéateur — printemps 2027")
    with app.test_request_context(), pytest.raises(services.CohortError):
        services.create_cohort(None, name="Autre", starts_on=date(2027, 3, 1),
                               ends_on=date(2027, 3, 1))
    with app.test_request_context(), pytest.raises(services.CohortError):
        services.create_cohort(None, name="idéateur — PRINTEMPS 2027",
                               starts_on=date(2027, 3, 1), ends_on=date(2027, 4, 1))


@pytest.mark.parametrize("htmx", [False, True])
def test_an_edit_is_saved_and_recorded_with_what_changed(client, login, htmx):
    cohort = _cohort()
    manager = login("manager")
    assert client.get(f"/admin/cohorts/{cohort.id}/edit").status_code == 200
    response = client.post(f"/admin/cohorts/{cohort.id}/edit", htmx=htmx, data={
        "name": cohort.name, "name_en": "Ideator — spring 2027", "starts_on": "2027-03-01",
        "ends_on": "2027-07-15", "description": "", "version": "1"})
    _redirected(response, htmx, "/admin/cohorts")
    db.session.refresh(cohort)
    assert (cohort.name_en, cohort.ends_on, cohort.version) == (
        "Ideator — spring 2027", date(2027, 7, 15), 2)
    last = db.session.scalars(select(CohortVersion).order_by(CohortVersion.id.desc())).first()
    assert (last.changed_fields, last.changed_by_id, last.version, last.ends_on) == (
        "name_en,ends_on", manager.id, 2, date(2027, 7, 15))
    html = client.get("/admin/cohorts").get_data(as_text=True)
    assert "English name, last day" in html


def test_a_stale_edit_answers_409_and_keeps_the_input(client, login):
    cohort = _cohort()
    login("manager")
    services.update_cohort(cohort, None, 1, description="Changé par un collègue.")
    db.session.commit()
    response = client.post(f"/admin/cohorts/{cohort.id}/edit", data={
        "name": "Idéateur — printemps 2027 bis", "starts_on": "2027-03-01",
        "ends_on": "2027-06-30", "description": "Ma version.", "version": "1"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Ma version." in html and "Changé par un collègue." in html
    assert 'name="version" type="hidden" value="2"' in html or 'value="2"' in html
    db.session.refresh(cohort)
    assert cohort.name == "Idéateur — printemps 2027" and cohort.version == 2
    # Without a version (a forged page), refused the same way.
    assert client.post(f"/admin/cohorts/{cohort.id}/edit", data={
        "name": "X", "starts_on": "2027-03-01", "ends_on": "2027-06-30"}).status_code == 409


def test_an_unknown_cohort_is_not_found(client, login):
    login("manager")
    assert client.get("/admin/cohorts/999/edit").status_code == 404
    assert client.post("/admin/cohorts/999/archive", data={"archived": "1"}).status_code == 404
    assert client.get("/cohorts/999").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_archiving_asks_first_is_version_checked_and_recorded(client, login, htmx):
    cohort = _cohort()
    login("manager")
    asked = client.post(f"/admin/cohorts/{cohort.id}/archive",
                        data={"archived": "1", "version": "1"}, htmx=htmx)
    assert asked.status_code == 200 and "Archive Idéateur" in asked.get_data(as_text=True)
    assert client.post(f"/admin/cohorts/{cohort.id}/archive", htmx=htmx, data={
        "archived": "1", "version": "7", "confirm": "1"}).status_code == 409
    response = client.post(f"/admin/cohorts/{cohort.id}/archive", htmx=htmx,
                           data={"archived": "1", "version": "1", "confirm": "1"})
    _redirected(response, htmx, "/admin/cohorts")
    db.session.refresh(cohort)
    assert cohort.is_archived
    client.post(f"/admin/cohorts/{cohort.id}/archive",
                data={"archived": "0", "version": "2", "confirm": "1"})
    db.session.refresh(cohort)
    assert not cohort.is_archived
    kinds = db.session.scalars(select(CohortVersion.changed_fields)
                               .order_by(CohortVersion.id)).all()
    assert kinds == ["created", "archived", "unarchived"]


def test_the_history_is_append_only(app):
    cohort = _cohort()
    version = db.session.scalars(select(CohortVersion)).one()
    version.name = "Réécrit"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    project = factories.project()
    link = services.add_project(None, cohort, project)
    db.session.commit()
    link.left_at = at(2027, 1, 1)
    db.session.flush()  # leaving is written once…
    db.session.commit()
    assert link.left_at is not None  # loaded: the change below is seen as a rewrite
    link.left_at = at(2027, 2, 1)
    with pytest.raises(AppendOnlyError):  # …never rewritten
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(CohortVersion, version.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()


# A cohort's page and its projects ----------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_find_a_project_by_title_and_add_it(client, login, htmx):
    cohort = _cohort()
    advisor = login("advisor", name="Léa Morvan")
    wanted = factories.project(title="Écolieu des Landes", advisor=advisor)
    factories.project(title="Garage solidaire")
    factories.project(title="Écolieu brouillon", status="draft")
    db.session.commit()
    found = client.get(f"/cohorts/{cohort.id}?q=ecolieu", htmx=htmx)
    html = found.get_data(as_text=True)
    assert "HX-Request" in found.headers.get("Vary", "")
    assert "Écolieu des Landes" in html and "Garage solidaire" not in html
    assert "Écolieu brouillon" not in html
    assert html.lstrip().startswith('<section id="cohort-candidates"') == htmx
    response = client.post(f"/cohorts/{cohort.id}/projects", data={"project_id": wanted.id},
                           htmx=htmx)
    if htmx:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and body.startswith('<section id="cohort-members"')
        assert "Écolieu des Landes" in body and "Léa Morvan" in body
    else:
        _redirected(response, False, f"/cohorts/{cohort.id}")
    link = db.session.scalars(select(CohortProject)).one()
    assert (link.project_id, link.added_by_id, link.left_at) == (wanted.id, advisor.id, None)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Écolieu des Landes" in page and "Léa Morvan" in page
    # Added twice (a second tab): refused with a message, nothing written.
    again = client.post(f"/cohorts/{cohort.id}/projects", data={"project_id": wanted.id},
                        htmx=htmx)
    assert again.status_code == 422 and "already in this cohort" in again.get_data(as_text=True)
    if htmx:
        assert again.headers["HX-Retarget"] == "#cohort-candidates"
    assert _count(CohortProject) == 1
    event = db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "cohort_joined")).one()
    assert event.detail["cohort"] == cohort.name


def test_a_project_that_does_not_exist_or_a_draft_cannot_join(client, login):
    cohort = _cohort()
    login("advisor")
    draft = factories.project(status="draft")
    db.session.commit()
    assert client.post(f"/cohorts/{cohort.id}/projects",
                       data={"project_id": "999999"}).status_code == 404
    assert client.post(f"/cohorts/{cohort.id}/projects",
                       data={"project_id": "abc"}).status_code == 404
    assert client.post(f"/cohorts/{cohort.id}/projects",
                       data={"project_id": draft.id}).status_code == 422
    assert client.post("/cohorts/999/projects", data={"project_id": draft.id}).status_code == 404


def test_an_archived_cohort_takes_no_new_project(client, login):
    cohort = _cohort()
    services.set_archived(cohort, None, True, 1)
    db.session.commit()
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = client.post(f"/cohorts/{cohort.id}/projects", data={"project_id": project.id})
    assert response.status_code == 422 and "archived" in response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_taking_a_project_out_asks_first_and_keeps_the_membership(client, login, htmx):
    cohort = _cohort()
    advisor = login("advisor")
    project = factories.project(title="Garage solidaire")
    services.add_project(None, cohort, project)
    db.session.commit()
    url = f"/cohorts/{cohort.id}/projects/{project.id}/remove"
    assert "Take Garage solidaire out" in client.post(url, htmx=htmx).get_data(as_text=True)
    assert db.session.scalars(select(CohortProject)).one().left_at is None
    response = client.post(url, data={"confirm": "1"}, htmx=htmx)
    if htmx:
        assert response.get_data(as_text=True).startswith('<section id="cohort-members"')
    else:
        _redirected(response, False, f"/cohorts/{cohort.id}")
    link = db.session.scalars(select(CohortProject)).one()
    assert link.left_at is not None and link.removed_by_id == advisor.id
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Garage solidaire" not in page[page.index('id="cohort-members"'):]
    # Joining again makes a new row; the old one stays.
    client.post(f"/cohorts/{cohort.id}/projects", data={"project_id": project.id})
    assert _count(CohortProject) == 2
    assert _count(CohortProject, CohortProject.left_at.is_(None)) == 1


# The project page ------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_add_and_remove_a_project_from_its_page(client, login, htmx):
    spring = _cohort()
    _cohort("Ancienne promotion", starts_on=date(2025, 1, 1), ends_on=date(2025, 6, 1))
    archived = db.session.scalars(select(Cohort).where(Cohort.name == "Ancienne promotion")).one()
    services.set_archived(archived, None, True, 1)
    login("advisor")
    project = factories.project(title="Épicerie vrac")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    section = html[html.index('id="project-cohorts"'):]
    assert "Idéateur — printemps 2027" in section and "Ancienne promotion" not in section
    response = client.post(f"/projects/{project.id}/cohorts", data={"cohort_id": spring.id},
                           htmx=htmx)
    if htmx:
        body = response.get_data(as_text=True)
        assert body.startswith('<section id="project-cohorts"')
        assert f'/cohorts/{spring.id}"' in body
    else:
        _redirected(response, False, f"/projects/{project.id}")
    assert _count(CohortProject, CohortProject.left_at.is_(None)) == 1
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "The project joined the cohort Idéateur — printemps 2027" in page
    # A cohort of another form, unknown, or archived: refused, nothing written.
    for value in ("999", "abc", "", str(archived.id)):
        refused = client.post(f"/projects/{project.id}/cohorts", data={"cohort_id": value},
                              htmx=htmx)
        assert refused.status_code == 422, value
    response = client.post(f"/projects/{project.id}/cohorts/{spring.id}/remove",
                           data={"confirm": "1"}, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    assert _count(CohortProject, CohortProject.left_at.is_(None)) == 0
    assert "The project left the cohort" in client.get(
        f"/projects/{project.id}").get_data(as_text=True)


# The board -------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_the_board_filters_by_cohort(client, login, htmx):
    cohort = _cohort()
    login("advisor")
    inside = factories.project(title="Projet de la promotion")
    outside = factories.project(title="Projet hors promotion")
    left = factories.project(title="Projet sorti")
    services.add_project(None, cohort, inside)
    services.add_project(None, cohort, left)
    services.remove_project(None, cohort, left.id)
    db.session.commit()
    full = client.get("/board").get_data(as_text=True)
    assert f'<option value="{cohort.id}"' in full
    assert "Projet hors promotion" in full and "Projet de la promotion" in full
    response = client.get(f"/board?cohort={cohort.id}", htmx=htmx)
    html = response.get_data(as_text=True)
    assert "Projet de la promotion" in html
    assert "Projet hors promotion" not in html and "Projet sorti" not in html
    assert "HX-Request" in response.headers["Vary"]
    if htmx:
        assert response.headers["HX-Push-Url"] == f"/board?cohort={cohort.id}"
        assert 'id="board"' in html and "<html" not in html
    else:
        assert f'<option value="{cohort.id}" selected' in html
    assert outside.id != inside.id
    assert client.get("/board?cohort=abc").status_code == 200


# The pipeline review ---------------------------------------------------------------------


@pytest.fixture
def cohorts(app):
    """Two cohorts on the fixed history: X holds A, C and D; Y holds B and D; E is in none;
    B was in X once and was taken out (it no longer counts there)."""
    built = pipeline_history.build()
    a, b, c, d = (built.projects[k] for k in "ABCD")
    db.session.add_all([
        AccompanimentTime(project_id=a.id, advisor_id=built.yann.id, minutes=90,
                          spent_on=date(2026, 5, 5)),
        AccompanimentTime(project_id=a.id, advisor_id=built.yann.id, minutes=30,
                          spent_on=date(2025, 12, 31)),
        AccompanimentTime(project_id=d.id, advisor_id=built.lea.id, minutes=45,
                          spent_on=date(2026, 12, 31)),
    ])
    x = _cohort("Idéateur — printemps 2026", starts_on=date(2026, 1, 1),
                ends_on=date(2026, 6, 30))
    y = _cohort("Incubateur — 2026", starts_on=date(2026, 2, 1), ends_on=date(2026, 12, 31))
    for cohort, projects in ((x, (a, b, c, d)), (y, (b, d))):
        for project in projects:
            services.add_project(None, cohort, project)
    services.remove_project(None, x, b.id)
    db.session.commit()
    return built, x, y


def _review(app, filters):
    with app.test_request_context():
        return review_queries.review(filters, NOW, TODAY)


def test_the_review_filtered_by_a_cohort_counts_its_projects_only(app, cohorts):
    _built, x, _y = cohorts
    review = _review(app, ReviewFilters(YEAR_2026.period, "", cohort_ids=(x.id,)))
    # A is in Étude (B, also there, was taken out of X).
    assert [row[1:] for row in review.table("stages_now").rows] == [
        (0, 0), (0, 0), (1, 0), (0, 0), (0, 0)]
    # Submitted in 2026: A and C; in 2025: D. Exits: D launched, C redirected.
    assert [row[1:3] for row in review.table("entries_exits").rows] == [
        (2, 1), (1, 0), (1, 0), (0, 0)]
    assert [row[1:] for row in review.table("lead_time").rows] == [
        (1, Decimal("729.5"), Decimal("729.5"))]
    # Conversion: entered Accueil A (twice, once), C; Émergence A; Étude A; Lancement D.
    assert [row[1:3] for row in review.table("conversion").rows] == [
        (2, 1), (1, 1), (1, 0), (1, 0)]
    assert [row[0] for row in review.table("advisor_load").rows if row[1]] == ["Yann Le Goff"]


def test_the_review_compares_cohorts_by_hand_computed_figures(app, cohorts):
    _built, x, y = cohorts
    table = _review(app, YEAR_2026).table("cohorts")
    stages = [c.key for c in table.columns if c.key.startswith("stage_")]
    assert len(stages) == 5
    # X: A (Étude, active), C (redirected), D (launched); 120 + 45 minutes.
    # Y: B (Étude, active), D (launched); 45 minutes. D's lead time: 729.5 days.
    assert table.rows == [
        ("Incubateur — 2026", 2, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, Decimal("729.5"),
         Decimal("0.75")),
        ("Idéateur — printemps 2026", 3, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, Decimal("729.5"),
         Decimal("2.75")),
    ]
    chosen = _review(app, ReviewFilters(YEAR_2026.period, "", cohort_ids=(x.id,)))
    assert [row[0] for row in chosen.table("cohorts").rows] == ["Idéateur — printemps 2026"]
    # An archived cohort leaves the default comparison, not a chosen one.
    services.set_archived(y, None, True, 1)
    db.session.commit()
    assert [row[0] for row in _review(app, YEAR_2026).table("cohorts").rows] == [
        "Idéateur — printemps 2026"]
    both = ReviewFilters(YEAR_2026.period, "", cohort_ids=(y.id, x.id))
    assert [row[0] for row in _review(app, both).table("cohorts").rows] == [
        "Incubateur — 2026", "Idéateur — printemps 2026"]


def test_the_review_page_keeps_the_cohorts_in_the_url_and_refuses_bad_ones(
        client, login, cohorts):
    _built, x, y = cohorts
    login("manager")
    url = f"/pipeline?start=2026-01-01&end=2026-12-31&cohort={x.id}&cohort={y.id}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cohorts compared" in html
    assert f'name="cohort" value="{x.id}" checked' in html
    fragment = client.get(url, htmx=True)
    assert fragment.headers["HX-Push-Url"].endswith(f"cohort={x.id}&cohort={y.id}")
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="pipeline-figures"')
    assert client.get("/pipeline?cohort=abc").status_code == 400
    assert client.get("/pipeline?cohort=999").status_code == 400


def test_the_exports_follow_the_cohort_filter(client, login, cohorts):
    _built, x, _y = cohorts
    login("manager")
    url = f"/pipeline?start=2026-01-01&end=2026-12-31&cohort={x.id}&format=csv"
    text = client.get(url + "&table=entries_exits").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1][1:3] == ["2", "1"]
    text = client.get(url + "&table=cohorts").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2 and rows[1][0] == "Idéateur — printemps 2026" and rows[1][1] == "3"


def test_the_comparison_costs_the_same_statements_with_2_or_6_cohorts(app, cohorts):
    def cost() -> int:
        with app.test_request_context(), count_statements() as statements:
            review_queries.cohort_comparison(YEAR_2026, [])
        return len(statements)

    before = cost()
    for n in range(4):
        cohort = _cohort(f"Promotion {n}", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1))
        services.add_project(None, cohort, cohorts[0].projects["A"])
    db.session.commit()
    assert cost() == before == 4


def test_the_entity_exports_filter_by_cohort(client, login):
    cohort = _cohort()
    login("manager")
    inside = factories.project(title="Projet de la promotion")
    factories.project(title="Projet hors promotion")
    services.add_project(None, cohort, inside)
    db.session.commit()
    page = client.get("/exports").get_data(as_text=True)
    assert f'<option value="{cohort.id}"' in page
    text = client.get(f"/exports/projects?cohort={cohort.id}&format=csv").get_data(as_text=True)
    assert "Projet de la promotion" in text and "Projet hors promotion" not in text
    assert client.get("/exports/projects?cohort=999&format=csv").status_code == 400
    assert client.get("/exports?cohort=abc").status_code == 400
