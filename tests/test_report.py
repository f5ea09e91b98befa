"""The funders' report (/pipeline/report): every figure of a small fixed history over two
years checked against values computed by hand, the year's bounds in the pole's time zone,
the exports parsed back (openpyxl, csv), a constant number of statements, who may read it.

The history (years 2024 and 2025, times in Paris):
- Atelier vélo (Mobilité, SCIC, 3 FTE envisaged, 2.5 created): submitted 10 Nov 2024,
  Émergence 1 Feb 2025, Faisabilité 1 Apr, back to Émergence 1 May, Faisabilité 1 Jun,
  Lancement 1 Sep, closed launched 15 Oct 2025;
- Épicerie vrac (Alimentation, 1.5 FTE): submitted 1 Mar 2025, paused 1 Apr, reopened
  1 Jun, Émergence 1 Jul, still active;
- Ressourcerie (Réemploi, no FTE): submitted 15 Jan 2025, closed redirected (to France
  Active) on 31 Dec 2025 at 23:59:59, the year's last second;
- Café associatif (Culture): submitted 1 Mar 2024, abandoned 1 Jun 2024;
- Tiers-lieu (Culture, 2 FTE): submitted 5 May 2025, abandoned 20 Aug 2025 "Pas de local";
- Maraîchage (Agriculture): submitted 1 Jan 2026 at 00:30 (31 Dec 2025 23:30 UTC);
- Garage solidaire (Mobilité): submitted 10 Feb 2025, closed redirected 15 Mar 2025 to a
  body named when closing (« Coopérative d'activité Élan », kind other);
- Ferme pédagogique (Agriculture, no FTE): submitted 1 Oct 2025, active;
- Conserverie (Alimentation, no legal form, no jobs created): submitted 10 Jan 2025,
  launched 30 Nov 2025;
- a draft never submitted.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from incubator import revisions
from incubator.board import services as board
from incubator.committees.services import create_sitting
from incubator.exports import sheet_title
from incubator.extensions import db
from incubator.groups.services import create_group, create_meeting
from incubator.members.services import create_organisation
from incubator.mentoring.services import link_mentor, log_hours
from incubator.models import (
    AccompanimentTime,
    CommitteeReview,
    LegalForm,
    MeetingAttendance,
    Project,
    Theme,
)
from incubator.partners.services import create_partner
from incubator.projects.services import create_project, submit_project
from incubator.referrals.services import new_partner, refer
from incubator.report import cache as report_cache
from incubator.report import queries
from incubator.stage_history import record_status_change
from incubator.supports.services import add_support, move_status

from . import factories
from .helpers import count_statements

PARIS = ZoneInfo("Europe/Paris")


def paris(year, month, day, hour=12, minute=0, second=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


class History:
    """The fixed history's objects by name."""

    def __init__(self):
        self.projects: dict[str, Project] = {}


def _theme(name: str) -> int:
    return db.session.scalar(select(Theme.id).where(Theme.name == name))


def _project(h: History, key: str, title: str, theme: str, submitted: datetime, *,
             jobs: str | None = None, legal_form: str | None = None,
             jobs_created: str | None = None) -> Project:
    data = {"title": title, "theme_id": _theme(theme), "commune": "Redon",
            "kind": "collective", "jobs_envisaged": Decimal(jobs) if jobs else None}
    project = create_project(h.advisor, data, as_holder=False, now=submitted)
    if legal_form:
        project.legal_form_id = db.session.scalar(
            select(LegalForm.id).where(LegalForm.name == legal_form))
    if jobs_created:
        project.jobs_created = Decimal(jobs_created)
    project.advisor_id = h.advisor.id
    submit_project(project, h.advisor, now=submitted)
    h.projects[key] = project
    return project


def _move(h: History, key: str, position: int, when: datetime, comment=None) -> None:
    project = h.projects[key]
    board.move_project(project, h.advisor, stage_id=factories.stage(position).id,
                       seen_version=project.version, comment=comment, now=when)


def _close(h: History, key: str, outcome: str, reason: str, when: datetime) -> None:
    project = h.projects[key]
    board.close_project(project, h.advisor, project.version, outcome, reason, now=when)


def _reopen_on(h: History, key: str, when: datetime) -> None:
    """A paused project reopened on a past day (the service reopens "now" only)."""
    project = h.projects[key]
    record_status_change(project.id, "paused", "active", changed_by_id=h.advisor.id,
                         changed_at=when)
    db.session.execute(update(Project).where(Project.id == project.id)
                       .values(status="active", version=Project.version + 1))
    db.session.flush()
    db.session.refresh(project)


def build_history() -> History:
    h = History()
    h.manager = factories.user("manager", name="Maëlle Directrice")
    h.advisor = factories.user("advisor", name="Yann Le Goff")
    _project(h, "velo", "Atelier vélo", "Mobilité", paris(2024, 11, 10), jobs="3",
             legal_form="SCIC", jobs_created="2.5")
    _move(h, "velo", 2, paris(2025, 2, 1))
    _move(h, "velo", 3, paris(2025, 4, 1))
    _move(h, "velo", 2, paris(2025, 5, 1), comment="Modèle économique à revoir")
    _move(h, "velo", 3, paris(2025, 6, 1))
    _move(h, "velo", 4, paris(2025, 9, 1))
    _close(h, "velo", "launched", "SCIC créée.", paris(2025, 10, 15))

    _project(h, "epicerie", "Épicerie vrac", "Alimentation et circuits courts",
             paris(2025, 3, 1), jobs="1.5")
    epicerie = h.projects["epicerie"]
    board.pause_project(epicerie, h.advisor, epicerie.version, "Congé", now=paris(2025, 4, 1))
    _reopen_on(h, "epicerie", paris(2025, 6, 1))
    _move(h, "epicerie", 2, paris(2025, 7, 1))

    france_active = create_partner(None, name="France Active", kind="solidarity_funder")
    region = create_partner(None, name="Région Bretagne", kind="region")
    _project(h, "ressourcerie", "Ressourcerie", "Réemploi et économie circulaire",
             paris(2025, 1, 15))
    _close(h, "ressourcerie", "redirected", "Accompagnement financier.",
           paris(2025, 12, 31, 23, 59, 59))
    refer(h.advisor, h.projects["ressourcerie"], france_active, direction="outgoing",
          referred_on=date(2025, 12, 31), reason="Financement")

    _project(h, "cafe", "Café associatif", "Culture", paris(2024, 3, 1))
    _close(h, "cafe", "abandoned", "Collectif dispersé.", paris(2024, 6, 1))
    _project(h, "tiers", "Tiers-lieu", "Culture", paris(2025, 5, 5), jobs="2")
    _close(h, "tiers", "abandoned", "Pas de local trouvé.", paris(2025, 8, 20))
    _project(h, "maraichage", "Maraîchage", "Agriculture", paris(2026, 1, 1, 0, 30))
    _project(h, "garage", "Garage solidaire", "Mobilité", paris(2025, 2, 10))
    _close(h, "garage", "redirected", "Activité individuelle.", paris(2025, 3, 15))
    elan = new_partner(h.advisor, "Coopérative d'activité Élan")
    refer(h.advisor, h.projects["garage"], elan, direction="outgoing",
          referred_on=date(2025, 3, 15))
    # Received from a body: never a redirection of the pole.
    refer(h.advisor, h.projects["epicerie"], france_active, direction="incoming",
          referred_on=date(2025, 2, 20))
    _project(h, "ferme", "Ferme pédagogique", "Agriculture", paris(2025, 10, 1))
    _project(h, "conserverie", "Conserverie", "Alimentation et circuits courts",
             paris(2025, 1, 10))
    _close(h, "conserverie", "launched", "Conserverie ouverte.", paris(2025, 11, 30))
    create_project(h.advisor, {"title": "Brouillon"}, as_holder=False, now=paris(2025, 2, 2))

    # Supports: a grant requested in 2024, granted and paid in 2025; an honour loan
    # requested, taken back, requested again with another amount, refused; premises
    # (no amount) requested and granted; a loan recorded paid in 2026.
    p = h.projects
    grant = add_support(h.advisor, p["velo"], region, kind="grant", amount_cents=1_000_000,
                        status="requested", status_on=date(2024, 12, 1))
    for status, day, cents in (("granted", date(2025, 3, 1), 800_000),
                               ("paid", date(2025, 6, 1), 800_000)):
        move_status(h.advisor, p["velo"], grant, to_status=status, changed_on=day,
                    amount_cents=cents, seen_version=grant.version)
    loan = add_support(h.advisor, p["epicerie"], france_active, kind="honour_loan",
                       amount_cents=500_000, status="requested", status_on=date(2025, 2, 1))
    for status, day, cents in (("envisaged", date(2025, 3, 1), 500_000),
                               ("requested", date(2025, 4, 1), 600_000),
                               ("refused", date(2025, 5, 1), 600_000)):
        move_status(h.advisor, p["epicerie"], loan, to_status=status, changed_on=day,
                    amount_cents=cents, seen_version=loan.version)
    premises = add_support(h.advisor, p["tiers"], region, kind="premises", amount_cents=None,
                           status="requested", status_on=date(2025, 5, 10))
    move_status(h.advisor, p["tiers"], premises, to_status="granted",
                changed_on=date(2025, 6, 10), amount_cents=None,
                seen_version=premises.version)
    add_support(h.advisor, p["velo"], france_active, kind="loan", amount_cents=2_000_000,
                status="paid", status_on=date(2026, 1, 10))

    # Volunteer mentoring.
    bois = create_organisation(None, name="Coop Bois", family="cooperative")
    jardins = create_organisation(None, name="Asso Jardins", family="association")
    bois_velo = link_mentor(h.advisor, p["velo"], bois, role="sponsor", contact=None,
                            started_on=date(2024, 12, 1))
    jardins_velo = link_mentor(h.advisor, p["velo"], jardins, role="expert", contact=None,
                               started_on=date(2025, 1, 1))
    jardins_epicerie = link_mentor(h.advisor, p["epicerie"], jardins, role="sponsor",
                                   contact=None, started_on=date(2025, 3, 1))
    for mentorship, day, hours in ((bois_velo, date(2024, 12, 20), "3"),
                                   (bois_velo, date(2025, 3, 3), "2.5"),
                                   (bois_velo, date(2025, 7, 7), "1.5"),
                                   (jardins_velo, date(2025, 5, 5), "2"),
                                   (jardins_epicerie, date(2025, 6, 6), "1")):
        log_hours(h.advisor, mentorship, day, Decimal(hours))

    # Committees.
    selection = create_sitting(h.advisor, name="Comité de sélection", held_on=date(2025, 3, 20))
    appui = create_sitting(h.advisor, name="Comité d'appui", held_on=date(2025, 9, 10))
    old = create_sitting(h.advisor, name="Comité 2024", held_on=date(2024, 11, 20))
    for sitting, key, decision in ((selection, "velo", "go"),
                                   (selection, "epicerie", "go_conditions"),
                                   (selection, "tiers", "no"), (appui, "ressourcerie", "postpone"),
                                   (appui, "ferme", None), (old, "cafe", "go")):
        db.session.add(CommitteeReview(sitting_id=sitting.id, project_id=p[key].id,
                                       decision=decision))

    # Working groups: one meeting cancelled; one at 23:30 on 31 December, one at 00:30 on
    # 1 January.
    eco = create_group(h.advisor, name="Éco-construction", kind="working_group")
    compta = create_group(h.advisor, name="Atelier compta", kind="workshop")
    february = create_meeting(h.advisor, eco, starts_at=paris(2025, 2, 12, 18))
    cancelled = create_meeting(h.advisor, eco, starts_at=paris(2025, 10, 1, 18))
    cancelled.cancelled_at = paris(2025, 9, 30)
    create_meeting(h.advisor, eco, starts_at=paris(2024, 12, 1, 18))
    late = create_meeting(h.advisor, compta, starts_at=paris(2025, 12, 31, 23, 30))
    create_meeting(h.advisor, compta, starts_at=paris(2026, 1, 1, 0, 30))
    for meeting, name, status in ((february, "Anne", "present"), (february, "Paul", "present"),
                                  (february, "Lise", "excused"), (late, "Anne", "present"),
                                  (cancelled, "Paul", "present")):
        db.session.add(MeetingAttendance(meeting_id=meeting.id, name=name, status=status))

    # Accompaniment time.
    for key, day, kind, minutes in (("velo", date(2025, 1, 10), "individual_meeting", 90),
                                    ("velo", date(2025, 2, 10), "phone", 20),
                                    ("velo", date(2025, 3, 10), "on_site", 120),
                                    ("velo", date(2024, 12, 15), "individual_meeting", 60),
                                    ("epicerie", date(2025, 4, 4), "collective_workshop", 180),
                                    ("epicerie", date(2025, 4, 5), "individual_meeting", 45),
                                    ("epicerie", date(2025, 12, 31), "video", 30)):
        db.session.add(AccompanimentTime(project_id=p[key].id, advisor_id=h.advisor.id,
                                         spent_on=day, kind=kind, minutes=minutes,
                                         created_by_id=h.advisor.id))
    db.session.commit()
    return h


@pytest.fixture
def history(app) -> History:
    return build_history()


def _tables(app, year: int) -> dict[str, queries.Table]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return {table.key: _plain(table) for table in queries.report(queries.period(year))}


def _plain(table):
    """The table with its Link cells as their text and labels as str (comparable)."""
    table.rows = [tuple(str(v) if hasattr(v, "href") else v for v in row)
                  for row in table.rows]
    table.footer = None if table.footer is None else tuple(
        str(v) if v is not None and not isinstance(v, int | Decimal | date) else v
        for v in table.footer)
    table.rows = [tuple(str(v) if v is not None and not isinstance(v, int | Decimal | date)
                        else v for v in row) for row in table.rows]
    return table


def D(text: str) -> Decimal:  # noqa: N802
    return Decimal(text)


# The figures ---------------------------------------------------------------------------


def test_ideas_received_are_the_submissions_of_the_year_in_the_pole_s_time_zone(app, history):
    tables = _tables(app, 2025)
    # Maraîchage, submitted at 00:30 on 1 January 2026 in Paris (still 2025 in UTC), is
    # 2026's; the draft is nobody's.
    assert tables["ideas"].rows == [("Food and short supply chains", 2), ("Culture", 1),
                                    ("Mobility", 1), ("Reuse and circular economy", 1),
                                    ("Agriculture", 1)]
    assert tables["ideas"].footer == ("Total", 6)
    assert _tables(app, 2024)["ideas"].rows == [("Culture", 1), ("Mobility", 1)]
    assert _tables(app, 2026)["ideas"].rows == [("Agriculture", 1)]


def test_projects_accompanied_per_stage_count_every_stay_of_the_year_once(app, history):
    table = _tables(app, 2025)["stages"]
    # Accueil: vélo (since 2024), épicerie (before and after its pause), ressourcerie,
    # tiers-lieu, garage, ferme, conserverie; vélo went back to Émergence: still once.
    assert table.rows == [("Welcome", 7, 6), ("Emergence", 2, 2),
                          ("Feasibility study", 1, 1), ("Launch", 1, 1), ("Development", 0, 0)]
    assert table.footer == ("All stages (each project once)", 7, None)
    table_2024 = _tables(app, 2024)["stages"]
    assert table_2024.rows[0] == ("Welcome", 2, 2)
    assert table_2024.footer[1] == 2
    # 2026: the projects still active (épicerie in Émergence, ferme in Accueil) and
    # Maraîchage; those closed in 2025 are not.
    assert _tables(app, 2026)["stages"].rows[:2] == [("Welcome", 2, 1), ("Emergence", 1, 0)]


def test_a_paused_project_is_not_accompanied_while_paused(app, history):
    """Épicerie was paused from 1 April to 1 June 2025 (in Accueil), then moved to
    Émergence on 1 July."""
    epicerie = history.projects["epicerie"].id

    def stage_at(moment):
        rows = db.session.execute(queries._in_stage_at(moment, inclusive=True)).all()
        return [stage for project, stage in rows if project == epicerie]

    assert stage_at(paris(2025, 3, 15)) == [factories.stage(1).id]
    assert stage_at(paris(2025, 5, 1)) == []
    assert stage_at(paris(2025, 6, 15)) == [factories.stage(1).id]
    assert stage_at(paris(2025, 8, 1)) == [factories.stage(2).id]


def test_exits_are_counted_by_outcome_the_last_second_of_the_year_included(app, history):
    tables = _tables(app, 2025)
    assert tables["outcomes"].rows == [("Launched", 2),
                                       ("Redirected to another support scheme", 2),
                                       ("Abandoned", 1)]
    assert tables["outcomes"].footer == ("Total", 5)
    assert _tables(app, 2024)["outcomes"].rows[2] == ("Abandoned", 1)
    assert _tables(app, 2026)["outcomes"].footer == ("Total", 0)


def test_launches_are_listed_by_legal_form(app, history):
    table = _tables(app, 2025)["launches"]
    assert table.rows == [("SCIC (multi-stakeholder cooperative)", 1),
                          ("Legal form not recorded", 1)]
    assert table.footer == ("Total", 2)


def test_redirections_name_the_partner_or_the_body_named_when_closing(app, history):
    table = _tables(app, 2025)["referrals"]
    assert table.rows == [("Coopérative d'activité Élan", "Other", 1, 1),
                          ("France Active", "Solidarity funder", 1, 1)]
    assert table.footer == ("Total", "", 2, None)


def test_abandonments_are_listed_with_their_reason(app, history):
    table = _tables(app, 2025)["abandonments"]
    assert table.rows == [("Tiers-lieu", date(2025, 8, 20), "Pas de local trouvé.")]
    assert _tables(app, 2024)["abandonments"].rows == [
        ("Café associatif", date(2024, 6, 1), "Collectif dispersé.")]


def test_jobs_say_how_many_projects_have_no_figure(app, history):
    table = _tables(app, 2025)["jobs"]
    # At the end of 2025: épicerie (1.5) and ferme (none) are active; ressourcerie closed
    # in the last second; maraîchage came after midnight.
    assert [row[1:] for row in table.rows] == [(D("1.5"), 2, 1), (D("2.5"), 2, 1)]


def test_supports_count_each_step_once_in_its_year_with_its_amount_then(app, history):
    tables = _tables(app, 2025)
    assert tables["supports_partner"].rows == [
        ("France Active", 1, 600_000, 0, None, None),
        ("Région Bretagne", 1, None, 2, 800_000, 800_000)]
    assert tables["supports_kind"].rows == [
        ("Grant", 0, None, 1, 800_000, 800_000),
        ("Honour loan", 1, 600_000, 0, None, None),
        ("Premises", 1, None, 1, None, None)]
    assert tables["supports_partner_kind"].rows == [
        ("Region", 1, None, 2, 800_000, 800_000),
        ("Solidarity funder", 1, 600_000, 0, None, None)]
    for key in ("supports_partner", "supports_kind", "supports_partner_kind"):
        assert tables[key].footer == ("Total", 2, 600_000, 2, 800_000, 800_000)
    assert _tables(app, 2024)["supports_kind"].rows == [
        ("Grant", 1, 1_000_000, 0, None, None)]
    # Recorded paid: granted and paid the same day.
    assert _tables(app, 2026)["supports_partner"].rows == [
        ("France Active", 0, None, 1, 2_000_000, 2_000_000)]


def test_mentoring_hours_are_summed_per_organisation(app, history):
    table = _tables(app, 2025)["mentoring"]
    assert table.rows == [("Asso Jardins", 2, D("3")), ("Coop Bois", 1, D("4"))]
    assert table.footer == ("Total", 2, D("7"))


def test_committee_sittings_show_their_decisions(app, history):
    table = _tables(app, 2025)["committees"]
    assert table.rows == [("Comité de sélection", date(2025, 3, 20), 3, 1, 1, 0, 1, 0),
                          ("Comité d'appui", date(2025, 9, 10), 2, 0, 0, 1, 0, 1)]
    assert table.footer == ("2 sittings", None, 5, 1, 1, 1, 1, 1)


def test_working_group_meetings_leave_cancelled_ones_out(app, history):
    table = _tables(app, 2025)["meetings"]
    assert table.rows == [("Atelier compta", "Cooperative workshop", 1, 1),
                          ("Éco-construction", "Working group", 1, 2)]
    assert table.footer == ("Total", "", 2, 3)


def test_accompaniment_time_is_given_per_project_and_per_kind_in_hours(app, history):
    tables = _tables(app, 2025)
    assert tables["time_project"].rows == [  # the most time first
        ("Épicerie vrac", D("0.75"), D("3.00"), None, D("0.50"), None, D("4.25")),
        ("Atelier vélo", D("1.50"), None, D("0.33"), None, D("2.00"), D("3.83"))]
    assert tables["time_project"].footer == ("2 projects", D("2.25"), D("3.00"), D("0.33"),
                                             D("0.50"), D("2.00"), D("8.08"))
    assert tables["time_kind"].rows == [
        ("Individual meeting", D("2.25"), 2, 2), ("Collective workshop", D("3.00"), 1, 1),
        ("Phone", D("0.33"), 1, 1), ("Video call", D("0.50"), 1, 1),
        ("On site", D("2.00"), 1, 1)]
    assert tables["time_kind"].footer == ("Total", D("8.08"), 6, 2)


def test_a_year_without_history_shows_each_table_empty(app, history):
    tables = _tables(app, 2010)
    assert tables["ideas"].rows == [] and tables["supports_partner"].rows == []
    assert tables["jobs"].rows[0][1:] == (None, 0, 0)


# The page --------------------------------------------------------------------------------


def _login(client, user):
    response = client.post("/auth/login", data={"email": user.email,
                                                "password": factories.PASSWORD})
    assert response.status_code == 303


def test_the_page_shows_the_year_s_report_with_the_pole_s_name(app, client, history):
    _login(client, history.manager)
    response = client.get("/pipeline/report?year=2025")
    assert response.status_code == 200
    assert "HX-Request" in response.vary
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="report"' in html
    assert "Funders' report 2025" in html
    assert app.config["POLE_NAME"] in html
    assert "Pas de local trouvé." in html
    assert f'href="/projects/{history.projects["tiers"].id}"' in html
    assert "/pipeline/report?year=2025&amp;table=stages&amp;format=csv" in html
    assert "/pipeline/report?year=2025&amp;format=xlsx" in html
    assert '<option value="2025" selected>' in html and '<option value="2024"' in html


def _charts(html: str) -> dict[str, dict]:
    """The charts of a page: {figure id: the JSON its canvas carries}."""
    import html as html_module
    import json
    import re

    found = re.findall(r'<figure class="chart" id="([^"]+)">\s*<div class="chart-box[^"]*" hidden>'
                       r'\s*<canvas [^>]*data-chart=\'([^\']*)\'', html)
    return {figure: json.loads(html_module.unescape(data)) for figure, data in found}


@pytest.mark.parametrize("htmx", [False, True])
def test_the_report_draws_its_figures_beside_their_tables(client, history, htmx):
    _login(client, history.manager)
    html = client.get("/pipeline/report?year=2025", htmx=htmx).get_data(as_text=True)
    charts = _charts(html)
    assert set(charts) == {"report-ideas", "report-stages", "report-outcomes", "report-launches",
                           "report-supports_kind", "report-supports_partner_kind",
                           "report-time_kind"}
    # Each chart sits in the same <figure> as its table, and draws the table's own rows.
    for figure in charts:
        start = html.index(f'id="{figure}"')
        assert f'id="report-table-{figure.removeprefix("report-")}"' in html[start:start + 6000]
    assert charts["report-outcomes"]["type"] == "bar"
    assert charts["report-launches"]["type"] == "doughnut"
    assert [serie["key"] for serie in charts["report-supports_partner_kind"]["series"]] == [
        "requested", "granted", "paid"]
    assert charts["report-supports_partner_kind"]["series"][0]["kind"] == "money"
    assert sum(charts["report-outcomes"]["series"][0]["data"]) > 0
    # Long lists stay tables alone.
    assert 'id="report-abandonments"' in html and "report-abandonments" not in charts
    # The definitions, printed as an appendix.
    appendix = html[html.index('class="report-definitions print-only"'):]
    assert "How the figures are computed" in appendix
    assert "Projects submitted between 1 January and 31 December" in appendix


def test_the_year_changes_with_htmx_the_report_alone(client, history):
    _login(client, history.manager)
    response = client.get("/pipeline/report?year=2024", htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.vary
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="report"') and "<html" not in html
    assert "Funders' report 2024" in html and "Collectif dispersé." in html


def test_the_default_year_is_this_year_in_the_pole_s_time_zone(app, client, history):
    from incubator.i18n import pole_today

    _login(client, history.manager)
    html = client.get("/pipeline/report").get_data(as_text=True)
    with app.test_request_context():
        assert f"Funders' report {pole_today().year}" in html


@pytest.mark.parametrize("query", ["year=1999", "year=3000", "year=abc", "year=2025.5"])
def test_a_bad_year_is_refused_with_a_clear_message(client, history, query):
    _login(client, history.manager)
    response = client.get(f"/pipeline/report?{query}")
    assert response.status_code == 400
    assert "“year” must be a whole number from 2000 to" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("format=pdf", "Unknown export format"),
    ("format=csv", "A CSV file holds one table"),
    ("table=nothing&format=xlsx", "no such table"),
])
def test_a_bad_export_is_refused(client, history, query, message):
    _login(client, history.manager)
    response = client.get(f"/pipeline/report?year=2025&{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["holder", "mentor", "advisor"])
def test_the_report_is_for_managers_only(client, login, role):
    login(role)
    for query in ("", "?year=2025", "?year=2025&format=xlsx",
                  "?year=2025&table=jobs&format=csv"):
        assert client.get(f"/pipeline/report{query}").status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get("/pipeline/report?year=2025")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    response = client.get("/pipeline/report?year=2025", htmx=True)
    assert response.status_code == 401 and "HX-Redirect" in response.headers


# Exports ---------------------------------------------------------------------------------


def _sheet(table) -> str:
    return sheet_title(table.title)  # Excel's rules (exports.write_sheet)


def test_the_whole_report_is_one_workbook_a_sheet_per_table(app, client, history,
                                                             security_events):
    _login(client, history.manager)
    response = client.get("/pipeline/report?year=2025&format=xlsx", buffered=True)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="Funders-report-2025.xlsx"' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.sheetnames) == len(queries.BUILDERS) == 15
    tables = _tables(app, 2025)
    by_partner = workbook[_sheet(tables["supports_partner"])]
    rows = list(by_partner.iter_rows(values_only=True))
    assert rows[0] == ("Partner", "Requests", "Requested (€)", "Grants", "Granted (€)",
                       "Paid (€)")
    assert rows[1] == ("France Active", 1, 6000, 0, None, None)
    assert rows[2] == ("Région Bretagne", 1, None, 2, 8000, 8000)
    assert rows[3] == ("Total", 2, 6000, 2, 8000, 8000)
    assert by_partner.cell(row=3, column=5).number_format.endswith('"€"')
    abandonments = workbook[_sheet(tables["abandonments"])]
    cell = abandonments.cell(row=2, column=2)
    assert cell.is_date and cell.value.date() == date(2025, 8, 20)
    time = workbook[_sheet(tables["time_kind"])]
    assert list(time.iter_rows(min_row=2, max_row=2, values_only=True)) == [
        ("Individual meeting", 2.25, 2, 2)]
    assert security_events.of("export.downloaded")[-1]["export"] == "report.2025"


def test_each_table_is_a_french_csv(client, history):
    _login(client, history.manager)
    response = client.get("/pipeline/report?year=2025&table=supports_partner&format=csv",
                          headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["Partenaire", "Demandes", "Demandé (€)", "Accords", "Accordé (€)",
                       "Versé (€)"]
    assert rows[1] == ["France Active", "1", "6000,00", "0", "", ""]
    assert rows[3] == ["Total", "2", "6000,00", "2", "8000,00", "8000,00"]
    time = client.get("/pipeline/report?year=2025&table=time_project&format=csv")
    rows = list(csv.reader(io.StringIO(time.data.decode("utf-8")[1:]), delimiter=";"))
    assert rows[2] == ["Atelier vélo", "1,5", "", "0,33", "", "2", "3,83"]


def test_the_page_shows_the_50_projects_with_the_most_time_and_the_exports_all(
        app, client, history):
    advisor = history.advisor
    for n in range(queries.LIST_SHOWN + 2):  # 52 more projects with time in 2025
        project = Project(title=f"Projet {n:02d}", status="active")
        db.session.add(project)
        db.session.flush()
        db.session.add(AccompanimentTime(project_id=project.id, advisor_id=advisor.id,
                                         minutes=10 + n, spent_on=date(2025, 6, 1)))
    db.session.commit()
    table = _tables(app, 2025)["time_project"]
    assert len(table.rows) == 54 and table.hidden_count == 4 and table.footer[0] == "54 projects"
    assert [row[0] for row in table.shown_rows[:3]] == ["Épicerie vrac", "Atelier vélo",
                                                        "Projet 51"]
    _login(client, history.manager)
    page = client.get("/pipeline/report?year=2025", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "Projet 51" in html and "Projet 03" not in html
    assert "The first 50 rows are shown; 4 more are in the export." in html
    export = client.get("/pipeline/report?year=2025&table=time_project&format=csv")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8")[1:]), delimiter=";"))
    assert len(rows) == 1 + 54 + 1 and "Projet 00" in {row[0] for row in rows}


def test_one_table_as_xlsx(client, history):
    _login(client, history.manager)
    response = client.get("/pipeline/report?year=2025&table=committees&format=xlsx", buffered=True)
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.sheetnames) == 1
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][:3] == ("Comité de sélection", datetime(2025, 3, 20), 3)


# Cost ------------------------------------------------------------------------------------


def test_the_report_costs_the_same_statements_whatever_the_history(app, client, history):
    _login(client, history.manager)

    def statements() -> int:
        with count_statements() as seen:
            assert client.get("/pipeline/report?year=2025").status_code == 200
        return len(seen)

    before = statements()
    region = create_partner(None, name="Département", kind="departement")
    for index in range(6):
        project = _project(history, f"more{index}", f"Projet {index}", "Culture",
                           paris(2025, 2, 1 + index), jobs="1")
        _move(history, f"more{index}", 2, paris(2025, 3, 1 + index))
        add_support(history.advisor, project, region, kind="grant", amount_cents=100_000,
                    status="requested", status_on=date(2025, 4, 1))
        db.session.add(AccompanimentTime(project_id=project.id, spent_on=date(2025, 5, 1),
                                         kind="phone", minutes=15))
        refer(history.advisor, project, region, direction="outgoing",
              referred_on=date(2025, 6, 1))
    db.session.commit()
    assert statements() == before
    assert before <= 30


def test_the_demo_s_report_shows_its_history(app, client, auth):
    from incubator.demo import DEMO_LOGINS
    from incubator.i18n import pole_today

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    _role, email, password = DEMO_LOGINS[0]
    assert auth.login(email, password).status_code == 303
    this_year = pole_today().year
    with app.test_request_context():
        tables = {table.key: table for table in queries.report(queries.period(this_year))}
    assert tables["ideas"].rows and tables["stages"].footer[1] > 0
    for year in (this_year, this_year - 1):
        assert client.get(f"/pipeline/report?year={year}").status_code == 200
        assert client.get(f"/pipeline/report?year={year}&format=xlsx", buffered=True).status_code == 200


def test_sittings_and_meetings_planned_later_this_year_are_not_counted_as_held(app):
    """A sitting or a meeting planned for later in the current year is not held yet: the
    report of this year leaves it out until its day comes."""
    from datetime import timedelta

    from incubator.i18n import pole_today
    from incubator.models.types import utcnow

    advisor = factories.user("advisor")
    with app.test_request_context():
        today = pole_today()
    if today.month == 12 and today.day == 31:
        pytest.skip("no later day in this year")
    group = create_group(advisor, name="Éco-construction", kind="working_group")
    create_sitting(advisor, name="Passé", held_on=today)
    create_sitting(advisor, name="Prévu", held_on=date(today.year, 12, 31))
    create_meeting(advisor, group, starts_at=utcnow() - timedelta(hours=2))
    create_meeting(advisor, group, starts_at=utcnow() + timedelta(hours=2))
    db.session.commit()
    tables = _tables(app, today.year)
    assert [row[0] for row in tables["committees"].rows] == ["Passé"]
    assert tables["meetings"].rows[0][2] == 1


def test_every_table_the_report_reads_is_watched_by_its_revision(app, client, history):
    """A table the report reads must bump the ``report`` revision when written, or a kept
    report (report/cache.py) could be served stale: this list grows with its queries."""
    _login(client, history.manager)
    tables = set(db.metadata.tables)
    read: set[str] = set()
    for address in ("/pipeline/report?year=2025", "/pipeline/report?year=2025&format=xlsx",
                    "/pipeline/report?year=2024&table=time_project&format=csv"):
        report_cache.clear()
        with count_statements() as statements:
            assert client.get(address).status_code == 200
        for statement in statements:
            read |= {t for t in tables if re.search(rf'\b(FROM|JOIN)\s+"?{t}"?\b', statement)}
    # The request's bookkeeping and the layout's own reads (per user, never kept).
    per_user = {"users", "user_sessions", "notifications", "revisions", "security_settings"}
    assert read - per_user <= revisions.WATCHED["report"], \
        read - per_user - revisions.WATCHED["report"]


def test_a_closed_year_s_report_is_kept_until_a_commit_changes_what_it_reads(
        app, client, history):
    _login(client, history.manager)
    report_cache.clear()
    first = client.get("/pipeline/report?year=2025&table=time_kind&format=csv")
    assert first.status_code == 200
    with count_statements() as statements:
        again = client.get("/pipeline/report?year=2025")
        kept = client.get("/pipeline/report?year=2025&table=time_kind&format=csv")
    assert again.status_code == 200 and kept.get_data() == first.get_data()
    # The session, the revision, the year selector, the layout: none of the report's own.
    assert not any("accompaniment_times" in s or "stage_moves" in s and "min(" not in s
                   for s in statements)
    project = db.session.scalars(select(Project).order_by(Project.id)).first()
    db.session.add(AccompanimentTime(project_id=project.id, spent_on=date(2025, 6, 1),
                                     kind="phone", minutes=600))
    db.session.commit()
    after = client.get("/pipeline/report?year=2025&table=time_kind&format=csv")
    assert after.get_data() != first.get_data()  # ten more hours, at once


def test_the_current_year_s_report_is_read_at_each_request(app, client, history):
    _login(client, history.manager)
    report_cache.clear()
    for _ in range(2):
        with count_statements() as statements:
            assert client.get("/pipeline/report").status_code == 200
        assert any("accompaniment_times" in s for s in statements)


def test_a_kept_report_lives_at_most_its_seconds_and_can_be_turned_off(
        app, client, history, monkeypatch):
    _login(client, history.manager)
    report_cache.clear()
    assert client.get("/pipeline/report?year=2025").status_code == 200

    def reads_the_report() -> bool:
        with count_statements() as statements:
            assert client.get("/pipeline/report?year=2025").status_code == 200
        return any("accompaniment_times" in s for s in statements)

    assert not reads_the_report()
    later = time.monotonic() + app.config["REPORT_CACHE_SECONDS"] + 1
    monkeypatch.setattr(report_cache.time, "monotonic", lambda: later)
    assert reads_the_report()
    app.config["REPORT_CACHE_SECONDS"] = 0
    assert reads_the_report() and reads_the_report()


def test_a_kept_year_is_served_in_the_asker_s_language_to_managers_only(
        app, client, history):
    """One closed year kept per language: a French asker after an English one gets French
    tables (and the other way round); an advisor is refused even while the year is kept;
    the workbook of a kept year is the one read without the cache."""
    _login(client, history.manager)
    report_cache.clear()
    address = "/pipeline/report?year=2025&table=supports_partner&format=csv"

    def header(language: str) -> str:
        response = client.get(address, headers={"Accept-Language": language})
        assert response.status_code == 200
        return response.data.decode("utf-8").splitlines()[0]

    for _ in range(2):
        assert header("fr").startswith("\ufeffPartenaire;")
        assert header("en").startswith("\ufeffPartner")
    workbook = client.get("/pipeline/report?year=2025&format=xlsx").data
    app.config["REPORT_CACHE_SECONDS"] = 0
    unkept = client.get("/pipeline/report?year=2025&format=xlsx").data

    def cells(data: bytes) -> list:
        book = load_workbook(io.BytesIO(data))
        return [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]

    assert cells(workbook) == cells(unkept)
    app.config["REPORT_CACHE_SECONDS"] = 3600
    client.post("/auth/logout")
    _login(client, history.advisor)
    assert client.get(address).status_code == 403
    assert client.get("/pipeline/report?year=2025").status_code == 403
