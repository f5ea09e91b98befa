"""The pipeline review (/pipeline): every figure against a hand-computed expectation on the
fixed history of tests/pipeline_history.py (a move back, a pause, a redirection, a launch in
the period's last second), filters and their errors, plain and htmx answers, who may see it,
exports parsed back, and a statement count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from incubator.extensions import db
from incubator.models import AccompanimentTime, NextStep
from incubator.pipeline import queries
from incubator.pipeline.queries import FilterError, Period, ReviewFilters

from . import factories, pipeline_history
from .helpers import count_statements
from .pipeline_history import at

HX = {"HX-Request": "true"}
NOW = at(2027, 1, 15, 10)
TODAY = date(2027, 1, 15)
YEAR_2026 = ReviewFilters(Period(date(2026, 1, 1), date(2026, 12, 31)), "")


@pytest.fixture
def history(app):
    built = pipeline_history.build()
    a, c, d = (built.projects[k] for k in "ACD")
    a.last_activity_at = at(2027, 1, 1)
    db.session.add_all([
        NextStep(project_id=a.id, title="Relancer la mairie", due_on=date(2027, 1, 10),
                 assignee_id=built.lea.id),
        NextStep(project_id=c.id, title="Clos, ne compte pas", due_on=date(2026, 5, 1),
                 assignee_id=built.lea.id),
        AccompanimentTime(project_id=a.id, advisor_id=built.yann.id, minutes=90,
                          spent_on=date(2026, 5, 5)),
        AccompanimentTime(project_id=a.id, advisor_id=built.yann.id, minutes=30,
                          spent_on=date(2025, 12, 31)),
        AccompanimentTime(project_id=d.id, advisor_id=built.lea.id, minutes=45,
                          spent_on=date(2026, 12, 31)),
    ])
    db.session.commit()
    return built


def _review(app, filters=YEAR_2026):
    with app.test_request_context():
        return queries.review(filters, NOW, TODAY)


def _rows(review, key):
    return [tuple(str(v) if hasattr(v, "href") else v for v in row)
            for row in review.table(key).rows]


def test_projects_per_stage_now_counts_active_and_paused_projects(app, history):
    table = _review(app).table("stages_now")
    assert [row[1:] for row in table.rows] == [(0, 0), (0, 0), (2, 0), (0, 0), (0, 0)]
    assert table.footer[1:] == (2, 0)


def test_entries_and_exits_compare_with_the_same_period_a_year_before(app, history):
    table = _review(app).table("entries_exits")
    assert [row[1:3] for row in table.rows] == [(3, 2), (1, 0), (1, 0), (0, 1)]
    assert table.values("change") == [Decimal("0.5"), None, None, Decimal(-1)]


def test_a_period_longer_than_a_year_compares_with_the_same_length_just_before(app, history):
    # 1 Jan 2026 – 30 Jun 2027: a year earlier would overlap it; 546 days before it instead.
    long = Period(date(2026, 1, 1), date(2027, 6, 30))
    assert long.comparison() == Period(date(2024, 7, 4), date(2025, 12, 31))
    assert YEAR_2026.period.comparison() == Period(date(2025, 1, 1), date(2025, 12, 31))
    table = _review(app, ReviewFilters(long, "")).table("entries_exits")
    assert table.column("year_before").label == "Même durée juste avant"
    # This period: A, B, C submitted; before: D and E (2025). Exits: C, D now; E before.
    assert [row[1:3] for row in table.rows] == [(3, 2), (1, 0), (1, 0), (0, 1)]
    assert "même nombre de jours juste avant" in str(table.definition)


def test_a_project_closed_in_the_periods_last_second_counts_in_the_period(app, history):
    # D launched on 31 Dec 2026 at 23:59:59 in Paris (22:59:59 UTC).
    assert _review(app).table("entries_exits").rows[1][1] == 1
    next_year = ReviewFilters(Period(date(2027, 1, 1), date(2027, 1, 15)), "")
    assert _review(app, next_year).table("entries_exits").rows[1][1] == 0


def test_conversion_counts_each_project_once_and_a_move_back_as_an_entry(app, history):
    table = _review(app).table("conversion")
    assert [row[1:3] for row in table.rows] == [(3, 2), (2, 2), (2, 0), (1, 0)]
    assert table.values("share") == [Decimal(2) / 3, 1, 0, 0]


def test_time_in_stage_counts_stays_that_ended_without_paused_time(app, history):
    table = _review(app).table("time_in_stage")
    # Accueil: A 10, A 10 (after its move back), B 10, C 15 (closed); Émergence: A 10,
    # A 20, B 30 - 10 paused; Étude: D 426; Lancement: D 213 days 22:59:59.
    assert [row[1:] for row in table.rows] == [
        (4, Decimal(10), Decimal(15)), (3, Decimal(20), Decimal(20)),
        (1, Decimal(426), Decimal(426)), (1, Decimal(214), Decimal(214))]


def test_time_in_stage_takes_out_a_pause_before_the_period_and_one_across_a_move(
        app, history):
    # H (Vannes): Accueil 1 Dec 2025, paused 5–15 Dec 2025, Émergence 11 Jan 2026: 41 days,
    # 10 paused before the period. Paused 21 Jan, Étude 31 Jan while paused, reopened
    # 10 Feb: the Émergence stay is 20 days, 10 of them paused; the Étude stay still runs.
    pipeline_history._project("Vannetais", None, [
        (None, 1, at(2025, 12, 1)), (1, 2, at(2026, 1, 11)), (2, 3, at(2026, 1, 31))], [
        ("active", "paused", None, at(2025, 12, 5)), ("paused", "active", None, at(2025, 12, 15)),
        ("active", "paused", None, at(2026, 1, 21)), ("paused", "active", None, at(2026, 2, 10))],
        history.stages, commune="Vannes")
    db.session.commit()
    vannes = ReviewFilters(YEAR_2026.period, "", commune="Vannes")
    assert [row[1:] for row in _review(app, vannes).table("time_in_stage").rows] == [
        (1, Decimal(31), Decimal(31)), (1, Decimal(10), Decimal(10))]


def test_lead_time_runs_from_submission_to_launch(app, history):
    # D: submitted 1 Jan 2025 12:00 UTC, launched 31 Dec 2026 22:59:59 UTC.
    assert [row[1:] for row in _review(app).table("lead_time").rows] == [
        (1, Decimal("729.5"), Decimal("729.5"))]


def test_cumulative_flow_counts_each_week_end_without_paused_projects(app, history):
    february = ReviewFilters(Period(date(2026, 2, 1), date(2026, 2, 28)), "")
    review = _review(app, february)
    assert review.flow_unit == "week"
    table = review.table("flow")
    assert table.values("day") == [date(2026, 2, 1), date(2026, 2, 8), date(2026, 2, 15),
                                   date(2026, 2, 22), date(2026, 2, 28)]
    assert [row[1:] for row in table.rows] == [
        (2, 0, 1, 0, 0, 3), (2, 0, 1, 0, 0, 3), (0, 2, 1, 0, 0, 3), (0, 1, 1, 0, 0, 2),
        (0, 1, 1, 0, 0, 2)]


def test_cumulative_flow_is_monthly_for_a_long_period(app, history):
    review = _review(app)
    assert review.flow_unit == "month"
    table = review.table("flow")
    assert len(table.rows) == 12
    assert table.rows[0][0] == date(2026, 1, 31)
    # End of March: A and B in Étude, D in Étude too.
    assert table.rows[2][1:] == (0, 0, 3, 0, 0, 3)
    # End of December: D closed in the last second, so A and B only.
    assert table.rows[11][1:] == (0, 0, 2, 0, 0, 2)


def test_cumulative_flow_leaves_out_a_pause_across_a_move_a_pause_now_and_a_closing(
        app, history):
    # F (Léa): Accueil 2 Feb, Émergence 10 Feb, paused 12 Feb, Étude 20 Feb while paused,
    # reopened 24 Feb, paused again 26 Feb and still paused. G (Yann): Accueil 2 Feb,
    # closed 5 Feb, reopened 16 Feb. Week ends at 23:00 UTC (midnight in Paris).
    stages = history.stages
    pipeline_history._project("Traverse", history.lea, [
        (None, 1, at(2026, 2, 2, 12)), (1, 2, at(2026, 2, 10)), (2, 3, at(2026, 2, 20))], [
        ("active", "paused", None, at(2026, 2, 12)), ("paused", "active", None, at(2026, 2, 24)),
        ("active", "paused", None, at(2026, 2, 26))], stages)
    pipeline_history._project("Rouvert", history.yann, [(None, 1, at(2026, 2, 2, 12))], [
        ("active", "closed", "abandoned", at(2026, 2, 5)),
        ("closed", "active", None, at(2026, 2, 16))], stages)
    db.session.commit()
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    table = _review(app, ReviewFilters(february, "")).table("flow")
    # Before: A and B (Accueil, then Émergence) and D (Étude), as in the weekly test.
    assert [row[1:] for row in table.rows] == [
        (2, 0, 1, 0, 0, 3), (3, 0, 1, 0, 0, 4), (0, 2, 1, 0, 0, 3), (1, 1, 1, 0, 0, 3),
        (1, 1, 1, 0, 0, 3)]
    leas = _review(app, ReviewFilters(february, "", advisor_id=history.lea.id)).table("flow")
    assert [row[1:] for row in leas.rows] == [
        (0, 0, 1, 0, 0, 1), (1, 0, 1, 0, 0, 2), (0, 0, 1, 0, 0, 1), (0, 0, 1, 0, 0, 1),
        (0, 0, 1, 0, 0, 1)]


def test_stalled_projects_follow_their_stages_threshold_or_the_default(app, history):
    # Default 45 days: B (last activity 13 Mar 2026) is stalled, A (1 Jan 2027) not.
    assert [row[0] for row in _rows(_review(app), "stalled")] == ["Pause"]
    history.stages[2].stalled_days = 10  # Étude: A has been idle 14 days
    db.session.commit()
    rows = _rows(_review(app), "stalled")
    assert [row[0] for row in rows] == ["Pause", "Recul"]
    assert rows[1][2:] == ("Yann Le Goff", date(2027, 1, 1), 14, 10)


def test_the_board_marks_stalled_the_projects_the_review_lists(client, login, history):
    login("advisor")
    history.stages[2].stalled_days = 10
    history.projects["A"].last_activity_at = at(2026, 11, 1)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    card = html.split(f'id="project-{history.projects["A"].id}"')[1].split("</li>")[0]
    assert "stalled-mark" in card


def test_overdue_steps_of_the_whole_team(app, history):
    rows = _rows(_review(app), "overdue_steps")
    assert rows == [("Recul", "Relancer la mairie", "Léa Morel", date(2027, 1, 10), 5)]


def test_load_per_advisor(app, history):
    table = _review(app).table("advisor_load")
    assert [row[0] for row in table.rows] == ["Léa Morel", "Yann Le Goff"]
    assert table.rows[0][1:] == (0, 0, 0, 0, 0, 0, 1, Decimal("0.75"))
    assert table.rows[1][1:] == (2, 0, 0, 2, 0, 0, 0, Decimal("1.50"))


def test_load_per_advisor_counts_only_the_hours_on_the_filtered_projects(app, history):
    # Culture: A alone (Yann's 90 minutes in 2026); Léa's 45 minutes on D do not count.
    culture = ReviewFilters(YEAR_2026.period, "", theme_id=factories.theme("Culture").id)
    table = _review(app, culture).table("advisor_load")
    assert [(row[0], row[-1]) for row in table.rows] == [
        ("Léa Morel", Decimal(0)), ("Yann Le Goff", Decimal("1.50"))]


def test_filters_restrict_the_projects_counted(app, history):
    yann = ReviewFilters(YEAR_2026.period, "", advisor_id=history.yann.id)
    review = _review(app, yann)
    assert [row[1:3] for row in review.table("entries_exits").rows] == [
        (2, 0), (0, 0), (0, 0), (0, 0)]
    assert [row[0] for row in review.table("advisor_load").rows] == ["Yann Le Goff"]
    culture = ReviewFilters(YEAR_2026.period, "", theme_id=factories.theme("Culture").id)
    assert _review(app, culture).table("conversion").rows[0][1] == 1
    allaire = ReviewFilters(YEAR_2026.period, "", commune="ALLAIRE ")
    assert _review(app, allaire).table("stages_now").footer[1] == 1


@pytest.mark.parametrize(("args", "period"), [
    ({}, (date(2026, 1, 1), date(2026, 12, 31))),
    ({"preset": "12m"}, (date(2025, 12, 2), date(2026, 12, 1))),
    ({"preset": "quarter"}, (date(2026, 7, 1), date(2026, 9, 30))),
    ({"start": "2026-02-01", "end": "2026-02-28", "preset": "year"},
     (date(2026, 2, 1), date(2026, 2, 28))),
    ({"end": "2026-03-31"}, (date(2026, 1, 1), date(2026, 3, 31))),
])
def test_periods_from_presets_or_dates(app, args, period):
    filters = ReviewFilters.from_args(MultiDict(args), date(2026, 12, 1))
    assert (filters.period.start, filters.period.end) == period


def test_last_quarter_in_january_is_the_previous_years_last(app):
    filters = ReviewFilters.from_args(MultiDict({"preset": "quarter"}), date(2027, 1, 15))
    assert (filters.period.start, filters.period.end) == (date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize("args", [
    {"start": "2026-13-01"}, {"start": "hier"}, {"start": "2026-05-01", "end": "2026-04-01"},
    {"preset": "forever"}, {"advisor": "x"}, {"theme": "-1"}, {"start": "1800-01-01"},
    {"start": "1901-01-01", "end": "2099-01-01"},
])
def test_bad_filters_are_refused_with_a_message(app, args):
    with app.test_request_context(), pytest.raises(FilterError):
        ReviewFilters.from_args(MultiDict(args), date(2026, 12, 1))


def test_bad_filters_answer_400_with_their_message(client, login):
    login("manager")
    response = client.get("/pipeline?start=2026-05-01&end=2026-04-01")
    assert response.status_code == 400
    assert "start date before the end date" in response.get_data(as_text=True)
    assert client.get("/pipeline?table=flow&format=pdf").status_code == 400
    assert client.get("/pipeline?table=nope&format=csv").status_code == 400


@pytest.mark.parametrize("query", ["start=2026-05-01&end=2026-04-01", "start=2026-13-01",
                                   "advisor=x", "preset=forever"])
def test_a_refused_filter_change_does_not_change_the_address(client, login, query):
    """htmx swaps a 400 into the messages and must not push the refused URL (the form asks
    for hx-push-url): the address only changes with the figures."""
    login("manager")
    plain = client.get(f"/pipeline?{query}")
    assert plain.status_code == 400
    assert "<html" in plain.get_data(as_text=True)
    assert "HX-Push-Url" not in plain.headers
    fragment = client.get(f"/pipeline?{query}", headers=HX)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 400
    assert "<html" not in text and 'id="pipeline-figures"' not in text
    assert fragment.headers["HX-Push-Url"] == "false"
    assert fragment.headers["HX-Retarget"] == "#messages"
    assert "HX-Request" in fragment.headers["Vary"]
    # An accepted change pushes its own URL.
    accepted = client.get("/pipeline?start=2026-04-01&end=2026-05-01", headers=HX)
    assert accepted.status_code == 200
    assert accepted.headers["HX-Push-Url"] == "/pipeline?start=2026-04-01&end=2026-05-01"

@pytest.mark.parametrize(("role", "status"), [
    ("holder", 403), ("mentor", 403), ("advisor", 200), ("manager", 200)])
def test_who_may_see_the_review(client, login, role, status):
    login(role)
    assert client.get("/pipeline").status_code == status
    assert client.get("/pipeline?table=flow&format=csv").status_code == status


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get("/pipeline")
    assert response.status_code in (302, 303)
    assert "/auth/login" in response.headers["Location"]


def test_the_page_and_its_htmx_fragment(client, login, history):
    login("manager")
    page = client.get("/pipeline?preset=12m")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert 'id="pipeline-filters"' in html and 'id="pipeline-figures"' in html
    for key in queries.TABLE_KEYS:
        assert f'id="pipeline-{key.replace("_", "-")}"' in html
    assert "Vary" in page.headers and "HX-Request" in page.headers["Vary"]
    fragment = client.get(f"/pipeline?start=2026-02-01&end=2026-02-28&advisor="
                          f"{history.yann.id}&theme=&commune=", headers=HX)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in text and text.lstrip().startswith('<div id="pipeline-figures"')
    assert fragment.headers["HX-Push-Url"] == (
        f"/pipeline?start=2026-02-01&end=2026-02-28&advisor={history.yann.id}")


def test_a_table_is_exported_with_the_filters_as_csv_and_xlsx(client, login, history,
                                                              security_events):
    from openpyxl import load_workbook

    login("manager")
    url = "/pipeline?start=2026-01-01&end=2026-12-31&table=entries_exits"
    response = client.get(url + "&format=csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1] == ["Idées déposées", "3", "2", "50,0"] or rows[1][1:] == ["3", "2", "50,0"]
    assert security_events.of("export.downloaded")[-1]["export"] == "pipeline.entries_exits"
    response = client.get(url + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][1:3] == [3, 2]
    assert values[4][1:3] == [0, 1]  # abandoned: none this year, one the year before


def test_the_page_costs_the_same_statements_with_3_or_30_projects(client, login):
    login("manager")
    advisor = factories.user(role="advisor")
    db.session.commit()

    def add(n: int) -> None:
        for i in range(n):
            factories.project(stage_position=i % 5 + 1, advisor=advisor,
                              status="paused" if i % 7 == 3 else "active")
        db.session.commit()

    def render() -> int:
        with count_statements() as statements:
            assert client.get("/pipeline?preset=12m").status_code == 200
        return len(statements)

    add(3)
    small = render(), render()
    add(27)
    assert (render(), render()) == small


@pytest.mark.parametrize(("url", "prefix", "commune_select"), [
    ("/board", "filter", True), ("/exports", "export", True), ("/pipeline", "pipeline", False)])
def test_the_board_exports_and_review_share_their_filter_fields(client, login, url, prefix,
                                                                commune_select):
    """One macro (macros/filters.html): each field labelled for its control, the same names,
    "All" feminine for the filière and the commune."""
    import re

    login("manager")
    html = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    for name in ("advisor", "theme", "commune"):
        assert f'<label for="{prefix}-{name}">' in html, name
        assert re.search(rf'<(select|input)[^>]* id="{prefix}-{name}" name="{name}"', html), name
    theme = html[html.index(f'id="{prefix}-theme"'):].split("</select>")[0]
    assert '<option value="">Toutes</option>' in theme
    advisor = html[html.index(f'id="{prefix}-advisor"'):].split("</select>")[0]
    assert '<option value="">Tous</option>' in advisor
    commune = html[html.index(f'id="{prefix}-commune"'):html.index(f'id="{prefix}-commune"') + 200]
    assert ('name="commune">' in commune) == commune_select


def test_an_out_of_range_date_says_so_not_that_it_is_unreadable(client, login):
    login("manager")
    for query in ("end=9999-12-31", "start=0001-01-01"):
        response = client.get(f"/pipeline?{query}")
        text = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "between 1900 and 2100" in text and "cannot be read" not in text
    unreadable = client.get("/pipeline?start=2026-13-01")
    assert unreadable.status_code == 400 and "cannot be read" in unreadable.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_an_advisor_or_theme_the_form_never_offers_is_refused(client, login, htmx):
    """As /exports does: a forged or stale id answers 400 with its message instead of
    showing empty figures; a past advisor (deactivated) may still be named."""
    login("manager")
    holder = factories.user(role="holder")
    gone = factories.user(role="advisor", active=False)
    db.session.commit()
    headers = HX if htmx else {}
    for query, message in ((f"advisor={holder.id}", "not one of the pole&#39;s staff"),
                           ("advisor=99999", "not one of the pole&#39;s staff"),
                           ("theme=99999", "does not exist")):
        response = client.get(f"/pipeline?{query}", headers=headers)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        if htmx:
            assert response.headers["HX-Push-Url"] == "false"
    assert client.get(f"/pipeline?advisor={gone.id}", headers=headers).status_code == 200


def test_a_change_shows_its_sign(app):
    from flask_babel import force_locale

    from incubator.tables import cell_text

    with app.test_request_context(), force_locale("fr"):
        assert cell_text(Decimal("1.4"), "change") == "+140\xa0%"
        assert cell_text(Decimal("-0.125"), "change") == "-12,5\xa0%"
        assert cell_text(0, "change") == "0\xa0%"
        assert cell_text(Decimal("0.127"), "percent") == "12,7\xa0%"
    with app.test_request_context(), force_locale("en"):
        assert cell_text(Decimal("1.4"), "change") == "+140%"


def test_the_current_month_of_the_flow_is_dated_today(app, history):
    """Counted now, the current month's row says today, not its last day (which would read
    like a forecast)."""
    months = ReviewFilters(Period(date(2026, 10, 1), date(2027, 1, 31)), "")
    with app.test_request_context():
        table = queries.review(months, NOW, TODAY).table("flow")
    assert table.values("day") == [date(2026, 10, 31), date(2026, 11, 30),
                                   date(2026, 12, 31), TODAY]
    # The same numbers as the end of December: nothing moved since.
    assert table.rows[3][1:] == table.rows[2][1:]
