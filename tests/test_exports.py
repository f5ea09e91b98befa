"""Exports (issue 12, F; docs/exports.md): ``incubator/exports.py`` itself (CSV the French
way, typed XLSX, formulas neutralised, file names), and the entity exports of /exports parsed
back with the csv module and openpyxl: columns, filters, who may export what, no internal
notes, the security log, a constant number of statements, streaming."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from incubator.exports import (
    csv_value,
    header_label,
    neutralise,
    sheet_title,
    stream_response,
    table_response,
    workbook_response,
    xlsx_value,
)
from incubator.extensions import db
from incubator.members import services as members
from incubator.models import (
    AccompanimentTime,
    Mentorship,
    Organisation,
    OrganisationContact,
    Partner,
    Project,
    ProjectHolder,
    StageMove,
    Support,
    User,
)
from incubator.stage_history import record_stage_move
from incubator.tables import Column, Link, Table

from . import factories
from .helpers import count_statements

FORMULAS = ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tcmd", "\rcmd"]


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def _body(response) -> bytes:
    """All of a response built outside the test client (a file sent from disk included),
    its file closed."""
    try:
        return b"".join(response.iter_encoded())
    finally:
        response.close()


def _xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(_body(response)))
    return workbook.worksheets[0]


def _table(**overrides) -> Table:
    values = {
        "key": "amounts",
        "title": "Montants",
        "columns": (Column("partner", "Partenaire"), Column("amount", "Montant", "money"),
                    Column("share", "Part", "percent"), Column("hours", "Heures", "hours"),
                    Column("on", "Date", "date")),
        "rows": [(Link("=Région", "/partners/1"), 125050, Decimal("0.127"), Decimal("3.5"),
                  date(2026, 3, 2)),
                 ("Commune", None, None, None, None)],
        "footer": ("Total", 125050, None, Decimal("3.5"), None),
    }
    values.update(overrides)
    return Table(**values)


# exports.py


@pytest.mark.parametrize("text", FORMULAS)
def test_text_starting_like_a_formula_gets_an_apostrophe_in_csv(text):
    assert neutralise(text) == "'" + text
    assert csv_value(text, "text") == "'" + text


@pytest.mark.parametrize("text", FORMULAS)
def test_in_xlsx_such_text_is_a_quote_prefixed_string_cell_never_a_formula(app, text):
    columns = (Column("name", "=Nom"), Column("n", "Nombre", "count"))
    table = _table(columns=columns, rows=[(text, 3), ("Épicerie", 4)], footer=None)
    with app.test_request_context():
        response = table_response(table, "xlsx", "x")
    body = _body(response)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    cell, plain = sheet["A2"], sheet["A3"]
    # (XML reads a carriage return back as a line feed.)
    assert cell.value == text.replace("\r", "\n") and cell.data_type == "s" and cell.quotePrefix
    assert plain.value == "Épicerie" and not plain.quotePrefix
    assert sheet["A1"].value == "=Nom" and sheet["A1"].quotePrefix
    assert sheet["B2"].value == 3 and not sheet["B2"].quotePrefix
    # No formula anywhere in the file (a formula would be an <f> element).
    import zipfile
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml


def test_plain_text_and_formulas_inside_text_are_left_alone():
    assert neutralise("Épicerie = bio") == "Épicerie = bio"
    assert neutralise("") == ""


def test_csv_values_are_written_the_french_way():
    assert csv_value(125050, "money") == "1250,50"
    assert csv_value(Decimal("0.127"), "percent") == "12,7"
    assert csv_value(Decimal("3.50"), "hours") == "3,5"
    assert csv_value(12, "count") == "12"
    assert csv_value(1234, "id") == "1234"
    assert csv_value(date(2026, 3, 2), "date") == "02/03/2026"
    assert csv_value(None, "money") == ""
    assert csv_value(Link("=x", "/p"), "text") == "'=x"


def test_xlsx_values_are_typed():
    assert xlsx_value(125050, "money") == Decimal("1250.5")
    assert xlsx_value(Decimal("0.127"), "percent") == Decimal("0.127")
    assert xlsx_value(date(2026, 3, 2), "date") == date(2026, 3, 2)
    assert xlsx_value(datetime(2026, 3, 2, 10, tzinfo=UTC), "date").tzinfo is None
    assert xlsx_value("a\x01b", "text") == "ab"  # what XML cannot hold
    assert xlsx_value("=1+1", "text") == "=1+1"  # a string cell with a quote prefix
    assert xlsx_value(1234, "id") == 1234
    assert xlsx_value(None, "count") is None


def test_a_table_as_csv_has_a_bom_semicolons_and_its_footer(app, security_events):
    with app.test_request_context():
        response = table_response(_table(), "csv", "Montants été")
        rows = _csv(response)
    assert rows == [["Partenaire", "Montant (€)", "Part (%)", "Heures", "Date"],
                    ["'=Région", "1250,50", "12,7", "3,5", "02/03/2026"],
                    ["Commune", "", "", "", ""],
                    ["Total", "1250,50", "", "3,5", ""]]
    disposition = response.headers["Content-Disposition"]
    assert 'filename="Montants-ete.csv"' in disposition
    assert "filename*=UTF-8''Montants%20%C3%A9t%C3%A9.csv" in disposition
    assert security_events.of("export.downloaded")[0]["export"] == "amounts"


def test_a_table_as_xlsx_has_typed_cells_a_frozen_filtered_header(app):
    with app.test_request_context():
        response = table_response(_table(), "xlsx", "montants")
        sheet = _xlsx(response)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert sheet.title == "Montants"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3"  # the totals row (4) stays out of the filter
    assert sheet["D2"].number_format == "#,##0.00"  # hours: never "3," for a whole number
    assert [cell.value for cell in sheet[1]] == ["Partenaire", "Montant (€)", "Part (%)",
                                                 "Heures", "Date"]
    amount, share, when = sheet["B2"], sheet["C2"], sheet["E2"]
    assert sheet["A2"].value == "=Région" and sheet["A2"].quotePrefix
    assert amount.value == 1250.5 and "€" in amount.number_format
    assert share.value == pytest.approx(0.127) and share.number_format == "0.0%"
    assert when.value == datetime(2026, 3, 2) and when.is_date


@pytest.mark.parametrize(("title", "taken", "expected"), [
    ("Montants", [], "Montants"),
    ("Délai entre le dépôt et le comité d’engagement", [],
     "Délai entre le dépôt et le"),  # 26 characters: cut before "comité", not inside
    ("Heures / année [2026]: total?", [], "Heures année 2026 total"),
    ("'Soutiens'", [], "Soutiens"),
    ("Montants", ["montants"], "Montants (2)"),
    ("Délai entre le dépôt et le comité d’engagement", ["Délai entre le dépôt et le"],
     "Délai entre le dépôt et le (2)"),
    ("Anticonstitutionnellementissimement", [], "Anticonstitutionnellementissime"),
    ("", [], "Sheet"),
])
def test_sheet_titles_follow_excels_rules_and_are_cut_between_words(title, taken, expected):
    name = sheet_title(title, taken)
    assert name == expected
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")


def test_a_workbook_of_tables_with_long_similar_titles_has_unique_sheets(app):
    long = "Accompagnement par type de contact et par chargé·e"
    with app.test_request_context():
        response = workbook_response([_table(title=long), _table(key="b", title=long)],
                                     "Rapport", "report")
        names = openpyxl.load_workbook(io.BytesIO(_body(response))).sheetnames
    assert names == ["Accompagnement par type de", "Accompagnement par type de (2)"]


def test_export_headers_state_their_unit_once(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        labels = [header_label(column) for column in (
            Column("a", "Montant", "money"), Column("b", "Part", "percent"),
            Column("c", "Temps passé", "hours"), Column("d", "Médiane", "days"),
            Column("e", "Médiane (jours)", "days"), Column("f", "Heures", "hours"),
            Column("g", "Numéro", "id"), Column("h", "Projets", "count"))]
    assert labels == ["Montant (€)", "Part (%)", "Temps passé (h)", "Médiane (jours)",
                      "Médiane (jours)", "Heures", "Numéro", "Projets"]


def test_an_unknown_format_is_refused(app):
    with app.test_request_context(), pytest.raises(ValueError):
        table_response(_table(), "ods", "x")
    with app.test_request_context(), pytest.raises(ValueError):
        stream_response([], iter(()), "pdf", "x", "x")


def test_a_large_list_is_streamed_as_csv_and_sent_from_disk_as_xlsx(app, security_events):
    columns = [Column("n", "N", "count"), Column("text", "Texte")]

    def rows():
        for n in range(5000):
            yield (n, "=x" if n % 2 else "ok")

    with app.test_request_context():
        response = stream_response(columns, rows(), "csv", "Liste", "list", start="2026-01-01")
        assert response.is_streamed
        lines = _body(response).decode("utf-8-sig").splitlines()
        assert len(lines) == 5001 and lines[2] == "1;'=x"
        response = stream_response(columns, rows(), "xlsx", "Liste", "list")
        assert response.direct_passthrough  # a file on disk, read in chunks
        sheet = _xlsx(response)
        assert sheet.max_row == 5001 and sheet["B3"].value == "=x"
    events = security_events.of("export.downloaded")
    assert [(e["format"], e["rows"]) for e in events] == [("csv", None), ("xlsx", 5000)]
    assert events[0]["start"] == "2026-01-01"


def test_a_workbook_has_a_sheet_per_table_in_order(app, security_events):
    with app.test_request_context():
        response = workbook_response([_table(), _table(key="b", title="Heures / année")],
                                     "Rapport 2026", "report")
        workbook = openpyxl.load_workbook(io.BytesIO(_body(response)))
    assert workbook.sheetnames == ["Montants", "Heures année"]
    assert security_events.of("export.downloaded")[0]["rows"] == 6


# The exports page: who may use it


def test_the_exports_page_is_for_staff(client, login):
    assert client.get("/exports").status_code == 302
    assert client.get("/exports/projects").status_code == 302
    for role, status in (("holder", 403), ("mentor", 403), ("advisor", 200), ("manager", 200)):
        login(role)
        assert client.get("/exports").status_code == status, role
        assert client.get("/exports/projects?format=csv").status_code == status, role
        client.post("/auth/logout")


def test_the_page_offers_every_export_in_both_formats(client, login):
    login("manager")
    html = client.get("/exports", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    for key in ("projects", "moves", "supports", "time", "directory"):
        assert f'formaction="/exports/{key}"' in html
    assert "Avec leurs personnes contacts." in html


def test_bad_addresses_are_refused(client, login):
    login("manager")
    assert client.get("/exports/projects?format=ods").status_code == 400
    assert client.get("/exports/notes?format=csv").status_code == 400
    assert client.get("/exports/projects?from=2026-13-01").status_code == 400
    assert client.get("/exports/projects?from=2026-03-01&to=2026-02-01").status_code == 400
    # Days out of every date field's range: a 400, never a 500 nor a broken download.
    for what in ("projects", "moves", "supports", "time"):
        for fmt in ("csv", "xlsx"):
            for bound in ("from=0001-01-01", "to=9999-12-31"):
                response = client.get(f"/exports/{what}?format={fmt}&{bound}",
                                      headers={"Accept-Language": "fr"})
                assert response.status_code == 400, (what, fmt, bound)
                assert response.mimetype == "text/html"
                assert "Choisissez une date entre" in response.get_data(as_text=True)
    assert client.get("/exports/projects?status=draft").status_code == 400
    assert client.get("/exports/projects?stage=abc").status_code == 400


def _field_error(html: str, name: str) -> str:
    """The message shown next to the field ``name`` (and the field pointing to it)."""
    assert f'aria-describedby="export-{name}-error"' in html, name
    start = html.index(f'<small id="export-{name}-error" class="field-error">')
    return html[html.index(">", start) + 1:html.index("</small>", start)]


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("url", ["/exports", "/exports/projects"])
def test_a_period_that_ends_before_it_starts_shows_the_form_again_with_the_input(
        client, login, url, htmx):
    login("manager")
    headers = {"Accept-Language": "fr", **({"HX-Request": "true"} if htmx else {})}
    response = client.get(f"{url}?from=2026-03-01&to=2026-02-01&format=csv&status=paused",
                          headers=headers)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert 'id="export-filters"' in html and 'role="alert"' in html
    assert 'name="from" id="export-from" value="2026-03-01"' in html
    assert 'name="to" id="export-to" value="2026-02-01"' in html
    assert '<option value="paused" selected>' in html
    assert _field_error(html, "to") == ("La période finit avant de commencer\u202f: choisissez "
                                        "une fin égale ou postérieure à son début "
                                        "(1er mars 2026).")


@pytest.mark.parametrize("url", ["/exports", "/exports/time"])
def test_each_filter_that_cannot_be_one_is_named_next_to_its_field(client, login, url):
    login("manager")
    holder = factories.user("holder")
    db.session.commit()
    response = client.get(
        f"{url}?from=2026-02-30&to=9999-12-31&status=draft&stage=999&advisor={holder.id}"
        "&theme=abc&format=csv", headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _field_error(html, "from") == "Saisissez une date valide."
    assert _field_error(html, "to").startswith("Choisissez une date entre")
    assert _field_error(html, "status") == "Choisissez un statut dans la liste."
    assert _field_error(html, "stage") == "Choisissez une étape dans la liste."
    # A forged advisor: a holder's id is not one of the options.
    assert _field_error(html, "advisor") == "Choisissez un·e chargé·e d’accompagnement dans la liste."
    assert _field_error(html, "theme") == "Choisissez une filière dans la liste."
    assert 'value="2026-02-30"' in html  # the input as typed
    assert "6\u202fproblèmes à corriger" in html or "6 problèmes à corriger" in html


def test_an_unknown_export_or_format_shows_the_form_again(client, login):
    login("manager")
    for url, message in (("/exports/notes?format=csv", "Cet export n’existe pas"),
                         ("/exports/projects?format=ods", "Ce format n’existe pas")):
        response = client.get(url, headers={"Accept-Language": "fr"})
        assert response.status_code == 400, url
        html = response.get_data(as_text=True)
        assert message in html and 'id="export-filters"' in html


def test_valid_filters_show_the_form_without_errors(client, login):
    manager = login("manager")
    stage = factories.stage(2)
    db.session.commit()
    response = client.get(f"/exports?from=2026-01-01&to=2026-01-01&stage={stage.id}"
                          f"&advisor={manager.id}")
    assert response.status_code == 200
    assert 'aria-invalid' not in response.get_data(as_text=True)


# Projects


def _org(name, **fields):
    fields.setdefault("family", "association")
    organisation = members.create_organisation(None, name=name, **fields)
    db.session.flush()
    return organisation


def _world(advisor, other_advisor):
    """Two projects advised by ``advisor`` (one with hostile texts everywhere) and one by
    ``other_advisor``."""
    holder = factories.user("holder", name="=HYPERLINK(\"x\")")
    mine = factories.project(title="=1+1 Épicerie", holders=[holder], advisor=advisor,
                             stage_position=2, funding_need_cents=1500000,
                             jobs_envisaged=Decimal("1.5"))
    second = factories.project(title="Ressourcerie", advisor=advisor)
    theirs = factories.project(title="Garage solidaire", advisor=other_advisor)
    organisation = _org("@Coop Bois", notes="Note interne: ne pas exporter")
    db.session.add(OrganisationContact(organisation_id=organisation.id, name="-Claire Rouxel",
                                       email="claire@example.org", phone="+33 6 12 34 56 78"))
    db.session.add(Mentorship(project_id=mine.id, organisation_id=organisation.id,
                              started_on=date(2026, 1, 10)))
    ended = _org("Ancien parrain")
    db.session.add(Mentorship(project_id=mine.id, organisation_id=ended.id,
                              started_on=date(2025, 1, 10), ended_on=date(2025, 6, 1)))
    partner = Partner(name="+Région Bretagne", kind="region")
    db.session.add(partner)
    db.session.flush()
    for status, cents, project in (("granted", 500000, mine), ("paid", 250000, mine),
                                   ("refused", 100000, mine), ("granted", 900000, theirs)):
        db.session.add(Support(project_id=project.id, partner_id=partner.id, kind="grant",
                               amount_cents=cents, status=status, status_on=date(2026, 3, 1),
                               comment="Commentaire interne"))
    db.session.add(AccompanimentTime(project_id=mine.id, advisor_id=advisor.id,
                                     spent_on=date(2026, 3, 4), minutes=90,
                                     kind="collective_workshop", note="Note interne"))
    db.session.add(AccompanimentTime(project_id=theirs.id, advisor_id=other_advisor.id,
                                     spent_on=date(2026, 3, 5), minutes=30, kind="phone"))
    db.session.commit()
    return mine, second, theirs


def test_the_projects_export_has_its_columns_and_neutralised_texts(client, login):
    manager = login("manager")
    other = factories.user("advisor", name="Bruno Advisor")
    mine, _second, _theirs = _world(manager, other)
    rows = _csv(client.get("/exports/projects?format=csv",
                           headers={"Accept-Language": "fr"}))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Numéro", "Titre", "Statut", "Étape", "Issue"]
    assert len(body) == 3
    row = dict(zip(header, next(r for r in body if r[0] == str(mine.id)), strict=True))
    assert row["Titre"] == "'=1+1 Épicerie"
    assert row["Porteur·ses de projet"] == "'=HYPERLINK(\"x\")"
    assert row["Parrains et marraines"] == "'@Coop Bois"  # current mentorships only
    assert row["Chargé·e d’accompagnement"] == manager.name
    assert row["Étape"] == "Émergence"
    assert row["Besoin de financement (€)"] == "15000,00"
    assert row["Emplois envisagés (ETP)"] == "1,5"
    assert row["Soutiens"] == "3"
    assert row["Soutiens accordés ou versés (€)"] == "7500,00"
    assert row["Soutiens versés (€)"] == "2500,00"


def test_an_advisor_exports_only_the_projects_they_advise(client, login):
    advisor = login("advisor")
    other = factories.user("advisor")
    mine, second, theirs = _world(advisor, other)
    for what in ("projects", "moves", "supports", "time"):
        rows = _csv(client.get(f"/exports/{what}?format=csv"))[1:]
        ids = {int(row[0]) for row in rows}
        assert ids and ids <= {mine.id, second.id}, what
        assert theirs.id not in ids, what


def test_the_projects_export_follows_its_filters(client, login):
    manager = login("manager")
    other = factories.user("advisor")
    mine, second, theirs = _world(manager, other)
    emergence = factories.stage(2)

    def ids(query):
        return {int(row[0]) for row in _csv(client.get(f"/exports/projects?format=csv&{query}"))[1:]}

    assert ids(f"stage={emergence.id}") == {mine.id}
    assert ids(f"advisor={other.id}") == {theirs.id}
    assert ids("status=closed") == set()
    assert ids("commune=redon") == {mine.id, second.id, theirs.id}
    assert ids("commune=Allaire") == set()
    assert ids("to=2000-01-01") == set()  # created after the period


def test_a_project_closed_before_the_period_is_not_exported(client, login):
    login("manager")
    closed = factories.project(title="Fermé", status="closed", days_in_stage=40)
    open_one = factories.project(title="Ouvert")
    db.session.commit()
    today = date.today().isoformat()
    rows = _csv(client.get(f"/exports/projects?format=csv&from={today}"))[1:]
    ids = {int(row[0]) for row in rows}
    assert open_one.id in ids and closed.id not in ids


def test_the_projects_export_as_xlsx_is_typed(client, login):
    manager = login("manager")
    mine, _second, _theirs = _world(manager, factories.user("advisor"))
    response = client.get("/exports/projects?format=xlsx", headers={"Accept-Language": "fr"},
                          buffered=False)
    assert response.is_streamed  # sent from its temporary file, in chunks
    sheet = _xlsx(response)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == mine.id)
    cells = dict(zip(header, row, strict=True))
    assert cells["Titre"].value == "=1+1 Épicerie" and cells["Titre"].quotePrefix
    assert cells["Créé le"].is_date
    assert cells["Numéro"].value == mine.id and cells["Numéro"].number_format == "0"
    assert cells["Besoin de financement (€)"].value == 15000
    assert "€" in cells["Besoin de financement (€)"].number_format
    assert cells["Emplois envisagés (ETP)"].value == 1.5


# Moves, supports, time


def test_stage_moves_are_exported_with_their_comments(client, login):
    manager = login("manager")
    mine, _second, _theirs = _world(manager, factories.user("advisor"))
    move = db.session.scalars(select(StageMove).where(StageMove.project_id == mine.id)
                              .order_by(StageMove.id.desc())).first()
    record_stage_move(mine.id, move.to_stage_id, move.from_stage_id, moved_by_id=manager.id,
                      comment="=retour en arrière")
    db.session.commit()
    rows = _csv(client.get("/exports/moves?format=csv", headers={"Accept-Language": "fr"}))
    assert rows[0] == ["Numéro du projet", "Projet", "Date", "De l’étape", "Vers l’étape",
                       "Déplacé par", "Commentaire"]
    back = [row for row in rows[1:] if row[6] == "'=retour en arrière"]
    assert back and back[0][3] == "Émergence" and back[0][4] == "Accueil"


def test_supports_are_exported_without_their_comments(client, login):
    manager = login("manager")
    _world(manager, factories.user("advisor"))
    response = client.get("/exports/supports?format=csv&from=2026-03-01&to=2026-03-01",
                          headers={"Accept-Language": "fr"})
    rows = _csv(response)
    assert rows[0] == ["Numéro du projet", "Projet", "Partenaire", "Type de partenaire",
                       "Type de soutien", "Programme", "Montant (€)", "Statut", "Date du statut"]
    assert len(rows) == 5
    assert {row[2] for row in rows[1:]} == {"'+Région Bretagne"}
    assert "Commentaire interne" not in response.get_data(as_text=True)
    assert _csv(client.get("/exports/supports?format=csv&from=2026-03-02"))[1:] == []


def test_accompaniment_time_is_exported_in_minutes_and_hours_without_notes(client, login):
    manager = login("manager")
    mine, _second, _theirs = _world(manager, factories.user("advisor"))
    response = client.get("/exports/time?format=csv&to=2026-03-04",
                          headers={"Accept-Language": "fr"})
    rows = _csv(response)
    assert rows[1][0] == str(mine.id)
    assert rows[0] == ["Numéro du projet", "Projet", "Date", "Temps passé par",
                       "Chargé·e d’accompagnement du projet", "Type de contact",
                       "Durée (minutes)", "Heures"]
    assert rows[1][2:] == ["04/03/2026", manager.name, manager.name, "Atelier collectif",
                           "90", "1,5"]
    assert len(rows) == 2
    assert "Note interne" not in response.get_data(as_text=True)


def test_an_advisors_time_export_and_the_pipelines_load_each_say_whose_time_they_count(
        client, login):
    """The export holds the time spent on the projects the advisor advises, whoever logged
    it; the pipeline's load per advisor the time the advisor logged, on any project. Same
    period, different questions: the columns name which (docs/exports.md)."""
    anne = login("advisor")
    bruno = factories.user("advisor", name="Bruno Advisor")
    hers = factories.project(title="Épicerie", advisor=anne)
    his = factories.project(title="Garage", advisor=bruno)
    for project, person, minutes, day in ((hers, anne, 60, 4), (hers, bruno, 45, 5),
                                           (his, anne, 30, 6), (hers, anne, 15, 20)):
        db.session.add(AccompanimentTime(project_id=project.id, advisor_id=person.id,
                                         spent_on=date(2026, 3, day), minutes=minutes,
                                         kind="phone"))
    db.session.commit()
    headers = {"Accept-Language": "fr"}
    rows = _csv(client.get("/exports/time?format=csv&from=2026-03-01&to=2026-03-10",
                           headers=headers))
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert "Temps passé par" in header and "Chargé·e d’accompagnement du projet" in header
    # Her projects' time, hers and Bruno's; not her time on Bruno's project; not the 20th.
    assert [(r["Temps passé par"], r["Chargé·e d’accompagnement du projet"], r["Durée (minutes)"])
            for r in body] == [(anne.name, anne.name, "60"), (bruno.name, anne.name, "45")]
    load = _csv(client.get("/pipeline?table=advisor_load&format=csv&start=2026-03-01"
                           "&end=2026-03-10", headers=headers))
    column = "Temps saisi par la personne sur la période (heures)"
    assert column in load[0]
    by_person = {row[0]: dict(zip(load[0], row, strict=True)) for row in load[1:]}
    assert by_person[anne.name][column] == "1,5"  # 60 + 30 minutes she logged
    # The export filtered on "Time spent by" gives her logged time on her projects only.
    assert sum(int(r["Durée (minutes)"]) for r in body if r["Temps passé par"] == anne.name) == 60


# The directory


def test_the_directory_has_contacts_for_managers_only_and_never_notes(client, login):
    manager = login("manager")
    _world(manager, factories.user("advisor"))
    response = client.get("/exports/directory?format=csv", headers={"Accept-Language": "fr"})
    rows = _csv(response)
    assert rows[0][-3:] == ["Personnes contacts", "Adresses e-mail", "Téléphones"]
    coop = next(row for row in rows if row[1] == "'@Coop Bois")
    assert coop[-3:] == ["'-Claire Rouxel", "claire@example.org", "'+33 6 12 34 56 78"]
    assert "Note interne" not in response.get_data(as_text=True)
    client.post("/auth/logout")
    login("advisor")
    response = client.get("/exports/directory?format=csv", headers={"Accept-Language": "fr"})
    text = response.get_data(as_text=True)
    assert "Personnes contacts" not in _csv(response)[0]
    assert "claire@example.org" not in text and "Claire Rouxel" not in text
    html = client.get("/exports", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Sans leurs personnes contacts" in html


def test_archived_organisations_only_when_asked(client, login):
    login("manager")
    kept = _org("Active")
    archived = _org("Archivée")
    archived.archived_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    names = {row[1] for row in _csv(client.get("/exports/directory?format=csv"))[1:]}
    assert names == {kept.name}
    names = {row[1] for row in _csv(client.get("/exports/directory?format=csv&archived=1"))[1:]}
    assert names == {kept.name, archived.name}


# Log, cost, streaming


def test_each_download_is_recorded_with_its_filters(client, login, security_events):
    login("manager")
    client.get("/exports/supports?format=xlsx&from=2026-01-01&commune=Redon").close()
    event = security_events.of("export.downloaded")[-1]
    assert event["export"] == "entities.supports" and event["format"] == "xlsx"
    assert event["filters"] == {"start": "2026-01-01", "commune": "Redon"}
    assert event["rows"] == 0


def _many(count: int, advisor) -> None:
    """``count`` active projects advised by ``advisor``, each with a holder and a current
    mentor organisation that has a contact person (rows written directly: fast)."""
    stage = factories.stage(1)
    for n in range(count):
        holder = User(email=f"many{advisor.id}-{n}-{count}@example.org", name=f"Holder {n}",
                      role="holder")
        project = Project(title=f"Projet {n}", status="active", stage_id=stage.id,
                          advisor_id=advisor.id, commune="Redon")
        organisation = Organisation(name=f"Structure {count}-{n}", family="association")
        db.session.add_all([holder, project, organisation])
        db.session.flush()
        db.session.add_all([
            ProjectHolder(project_id=project.id, user_id=holder.id),
            OrganisationContact(organisation_id=organisation.id, name="Anne"),
            Mentorship(project_id=project.id, organisation_id=organisation.id,
                       started_on=date(2026, 1, 1))])
    db.session.commit()


@pytest.mark.parametrize("what", ["projects", "directory"])
def test_the_statements_of_an_export_do_not_grow_with_its_rows(client, login, what):
    manager = login("manager")
    counts = []
    for added, total in ((10, 10), (90, 100)):
        _many(added, manager)
        with count_statements() as statements:
            rows = _csv(client.get(f"/exports/{what}?format=csv"))
        assert len(rows) == total + 1
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_a_csv_export_is_streamed(client, login):
    login("manager")
    factories.project()
    db.session.commit()
    response = client.get("/exports/projects?format=csv", headers={"Accept-Language": "fr"},
                          buffered=False)
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Projets-')
    assert response.mimetype == "text/csv"
    assert len(_csv(response)) == 2


def test_the_period_is_made_of_the_poles_days(app):
    from incubator.exports_page.queries import ExportFilters

    with app.test_request_context():
        start, end = ExportFilters(start=date(2026, 1, 1), end=date(2026, 3, 31)).bounds()
    assert start.astimezone(UTC) == datetime(2025, 12, 31, 23, tzinfo=UTC)  # winter, UTC+1
    assert end.astimezone(UTC) == datetime(2026, 3, 31, 22, tzinfo=UTC)  # summer, UTC+2


# File names: one language, the reader's


@pytest.mark.parametrize(("language", "names"), [
    ("fr", {"/pipeline?table=stalled&format=csv": "Pilotage du parcours - ",
            "/pipeline/report?year=2026&table=supports_partner&format=csv":
                "Rapport aux financeurs 2026 - ",
            "/pipeline/report?year=2026&format=xlsx": "Rapport aux financeurs 2026.xlsx",
            "/pipeline/territory?year=2026&table=families&format=csv": "Chiffres clés du territoire 2026 - ",
            "/exports/projects?format=csv": "Projets "}),
    ("en", {"/pipeline?table=stalled&format=csv": "Pipeline review - ",
            "/pipeline/report?year=2026&table=supports_partner&format=csv":
                "Funders' report 2026 - ",
            "/pipeline/report?year=2026&format=xlsx": "Funders' report 2026.xlsx",
            "/pipeline/territory?year=2026&table=families&format=csv": "Territory key figures 2026 - ",
            "/exports/projects?format=csv": "Projects "}),
])
def test_download_names_are_in_the_readers_language_only(client, login, language, names):
    from urllib.parse import unquote

    login("manager")
    for url, start in names.items():
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 200, url
        disposition = response.headers["Content-Disposition"]
        ascii_name = disposition.split('filename="')[1].split('"')[0]
        full = unquote(disposition.split("filename*=UTF-8''")[1])
        assert full.startswith(start), (url, full)
        assert ascii_name.isascii() and " " not in ascii_name
        # No English key in a French name, no French key in an English one.
        other = ("stalled", "supports_partner", "families", "pipeline-") if language == "fr" \
            else ("rapport", "territoire", "financeurs", "Projets")
        assert not any(word in full for word in other), (url, full)
        response.close()
