"""Imports of organisations: files as poles really save them (semicolons, Windows-1252
accents, UTF-16, XLSX, blank lines), the mapping guessed and changed, each row's outcome
(created, updated, unchanged, refused with its reason, skipped), re-imports that update
instead of duplicating and never erase, Sirene extracts (closed establishments, unknown
legal categories), the import recorded and undone, malformed files refused with nothing
written, and every route plain and htmx."""

from __future__ import annotations

import io
import re
import time
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from stdnum import luhn
from werkzeug.test import EnvironBuilder

from incubator.extensions import db
from incubator.imports import services
from incubator.imports.mapping import (
    commune_label,
    family_of,
    guess_mapping,
    is_sirene,
    row_values,
)
from incubator.imports.reading import FileRefused, read_table
from incubator.members.services import add_contact, create_organisation, update_organisation
from incubator.models import (
    Organisation,
    OrganisationImport,
    OrganisationImportChange,
    UsedFormToken,
)

from . import factories

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
HEADER = "Nom;SIRET;Famille;Commune;Effectif(s) salarié(s);Adhérent(e);Compétences"


@pytest.fixture(autouse=True)
def _import_folder(app, tmp_path):
    """Uploads kept in a folder of the test; messages in English (services translate)."""
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def siret(prefix: str) -> str:
    """A fictitious SIRET with valid keys: SIREN from 8 digits, NIC 0001 + key."""
    siren = prefix + luhn.calc_check_digit(prefix)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def csv_bytes(*lines: str, encoding: str = "cp1252", header: str = HEADER) -> bytes:
    return "\r\n".join((header, *lines)).encode(encoding)


def count(model=Organisation) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored(app) -> list[Path]:
    folder = Path(app.config["IMPORT_FOLDER"])
    return sorted(folder.glob("*.json")) if folder.exists() else []


def imported(data: bytes, mapping=None, **options):
    """Plan and run an import of ``data`` as a staff member would (committed)."""
    table = read_table(data)
    if mapping is None and not is_sirene(table.header):
        mapping = guess_mapping(table.header)
    author = factories.user(role="advisor")
    record = services.run_import(author, table, mapping, "test.csv", **options)
    db.session.commit()
    return record


def plan_of(data: bytes, mapping=None, **options):
    table = read_table(data)
    if mapping is None and not is_sirene(table.header):
        mapping = guess_mapping(table.header)
    return services.plan(table, mapping, **options)


# Reading files -------------------------------------------------------------------------


def test_a_semicolon_csv_from_a_french_excel_keeps_its_accents(app):
    table = read_table(csv_bytes("Épicerie L’Étal;;association;Guémené-Penfao;2;oui;"))
    assert (table.encoding, table.delimiter) == ("windows-1252", ";")
    assert table.header[4] == "Effectif(s) salarié(s)"
    assert table.rows == [(2, ["Épicerie L’Étal", "", "association", "Guémené-Penfao", "2",
                               "oui", ""])]


def test_utf8_with_a_bom_and_commas_is_read(app):
    data = "\ufeffNom,Commune\nCafé Le Lien,Peillac\n".encode()
    table = read_table(data)
    assert (table.encoding, table.delimiter, table.header) == ("utf-8", ",", ["Nom", "Commune"])
    assert table.rows[0][1] == ["Café Le Lien", "Peillac"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_unicode_text_from_excel_is_read(app, codec):
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    data = bom + "Nom\tCommune\r\nCrèche Les P’tits Loups\tRieux\r\n".encode(codec)
    table = read_table(data)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows == [(2, ["Crèche Les P’tits Loups", "Rieux"])]


def test_blank_lines_are_dropped_and_rows_keep_their_line_numbers(app):
    table = read_table(csv_bytes("", "A;;;;;;", ";;;;;;", "B;;;;;;", ""))
    assert [(line, cells[0]) for line, cells in table.rows] == [(3, "A"), (5, "B")]


def test_bidi_controls_and_invisible_padding_are_dropped_as_the_directory_form_does(app):
    data = ("Nom;Commune;Compétences\n"
            "Atelier \u202eliv\u202c\u200b;\u200bRedon\ufeff;\u2066Gouvernance\u2069\n"
            "\u200b\u200d;Peillac;\n").encode()
    table = read_table(data)
    assert table.rows == [(2, ["Atelier liv", "Redon", "Gouvernance"]), (3, ["", "Peillac", ""])]
    assert plan_of(data).rows[1].outcome == services.REFUSED


def test_quotes_inside_a_cell_are_kept_when_they_do_not_open_it(app):
    table = read_table(b'Nom;Commune\r\nCaf\xc3\xa9 "Le Lien";Peillac\r\n"Les ""Z""";Redon\r\n')
    assert [cells for _line, cells in table.rows] == [["Café \"Le Lien\"", "Peillac"],
                                                      ["Les \"Z\"", "Redon"]]


def test_a_workbook_whose_first_sheet_is_empty_says_the_first_sheet_is_read(app):
    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.create_sheet("Adhérents").append(["Nom"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FileRefused) as refused:
        read_table(buffer.getvalue())
    assert "first sheet" in refused.value.message and "Notes" in refused.value.message


def test_a_workbook_that_unzips_to_too_much_is_refused_before_reading(app, monkeypatch):
    from incubator.imports import reading

    workbook = Workbook()
    workbook.active.append(["Nom"])
    workbook.active.append(["Atelier " + "x" * 5000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    monkeypatch.setattr(reading, "MAX_UNZIPPED_BYTES", 4000)
    with pytest.raises(FileRefused) as refused:
        read_table(buffer.getvalue())
    assert refused.value.status == 413 and "too large once opened" in refused.value.message


def test_an_xlsx_workbook_is_read_with_numbers_as_people_see_them(app):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nom", "SIRET", "Effectif", "Code INSEE", None, None])
    sheet.append(["SCOP Bâti Sain", 73282932000074, 12, 1004, None, None])
    sheet.append([None, None, None, None])
    sheet.append(["Atelier", None, 3.0, "35236"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue())
    assert table.file_format == "XLSX"
    assert table.header == ["Nom", "SIRET", "Effectif", "Code INSEE"]
    assert table.rows == [(2, ["SCOP Bâti Sain", "73282932000074", "12", "1004"]),
                          (4, ["Atelier", "", "3", "35236"])]


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"   \r\n", "empty"),
    (b"Nom;Commune\r\n", "no row"),
    (b"%PDF-1.4\n\x00\x01\x02binary", "not a spreadsheet"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
    (b"PK\x03\x04not really a zip", "not a spreadsheet"),
    (b"\xff\xfe" + b"\x00\xd8" * 3, "not a spreadsheet"),
    (b"Nom;Commune\r\nCaf\x81;R\x8fdon\r\n", "encoding this page cannot read"),
    (b'Nom;Commune\r\nA;Redon\r\n"Atelier;Redon\r\nB;Peillac\r\n', "opened on line 3"),
])
def test_malformed_files_are_refused_with_a_message(app, data, words):
    with pytest.raises(FileRefused) as refused:
        read_table(data)
    assert words in refused.value.message
    assert refused.value.status == 422


def test_an_opendocument_spreadsheet_is_asked_as_xlsx_or_csv(app):
    buffer = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(FileRefused, match=r"\.ods"):
        read_table(buffer.getvalue())


# Mapping and cells ---------------------------------------------------------------------


def test_headers_are_guessed_in_french_and_english_whatever_the_accents_and_case(app):
    header = ["Raison sociale", "N° SIRET", "FAMILLE", "Catégorie juridique", "Code APE",
              "Secteur d'activité", "Ville", "Code INSEE", "Effectif(s) salarié(s)",
              "Tranche d'effectif", "Employeur", "Adhérent(e)", "Année d’adhésion",
              "Compétences", "Capacité de parrainage", "Site web", "Remarques", "Fax",
              "Name"]
    assert guess_mapping(header) == [
        "name", "siret", "family", "legal_category", "naf_code", "sector", "commune",
        "commune_insee", "headcount", "headcount_band", "employer", "is_member",
        "member_since", "skills", "mentoring_capacity", "website", "notes", "",
        ""]  # a second name column is not guessed twice


@pytest.mark.parametrize("cell, expected", [
    ("oui", True), ("Non", False), ("x", True), ("1", True), ("0", False), ("VRAI", True),
    ("faux", False), ("yes", True), ("No", False), ("O", True), ("N", False),
])
def test_yes_no_cells_accept_the_usual_spellings(app, cell, expected):
    read = row_values(["Coop", cell], ["name", "employer"])
    assert read.problems == [] and read.values["employer"] is expected


@pytest.mark.parametrize("cell, family", [
    ("Association", "association"), ("coopérative", "cooperative"), ("SCOP", "cooperative"),
    ("Mutuelle", "mutual"), ("Foundation", "foundation"), ("Fondation", "foundation"),
    ("Entreprise ESUS", "esus_company"), ("ESUS company", "esus_company"),
    ("Autre", "other"), ("other", "other"),
])
def test_families_accept_french_and_english_labels(app, cell, family):
    assert row_values(["Coop", cell], ["name", "family"]).values["family"] == family


@pytest.mark.parametrize("cells, reason", [
    (["", "association"], "Missing name."),
    (["Coop", "coopérative d'habitants"], "Unknown family “coopérative d'habitants”."),
    (["Coop", "", "12,5"], "Bad number for Salaried headcount: “12,5”"),
    (["Coop", "", "-3"], "Bad number for Salaried headcount"),
    (["Coop", "", "", "732 829 320 00075"], "Bad SIRET “732 829 320 00075”"),
    (["Coop", "", "", "", "peut-être"], "“peut-être” for Member of the pole: write yes or no."),
])
def test_refused_cells_say_why(app, cells, reason):
    read = row_values(cells, ["name", "family", "headcount", "siret", "is_member"][:len(cells)])
    assert any(problem.startswith(reason) for problem in read.problems), read.problems


@pytest.mark.parametrize("cell", ["2019", "2019-03-01", "2019-03-01 10:30:00", "01/03/2019"])
def test_a_date_joined_gives_its_year_as_an_xlsx_date_cell_or_a_french_date(app, cell):
    read = row_values(["Coop", cell], ["name", "member_since"])
    assert read.problems == [] and read.values["member_since"] == 2019


def test_a_workbook_whose_joining_column_holds_dates_imports_their_years(app):
    workbook = Workbook()
    workbook.active.append(["Nom", "Adhérent depuis"])
    workbook.active.append(["Coop", datetime(2018, 6, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    planned = plan_of(buffer.getvalue())
    assert planned.rows[0].outcome == services.CREATED
    assert planned.rows[0].values["member_since"] == 2018


def test_numbers_accept_french_writing_and_insee_codes_their_lost_zero(app):
    read = row_values(["Coop", "1 234", "1004", "1", "2019", "8899b"],
                      ["name", "headcount", "commune_insee", "headcount_band",
                       "member_since", "naf_code"])
    assert read.problems == []
    assert read.values == {"name": "Coop", "headcount": 1234, "commune_insee": "01004",
                           "headcount_band": "01", "member_since": 2019,
                           "naf_code": "88.99B", "is_member": True}


def test_skills_separated_by_semicolons_become_one_per_line(app):
    read = row_values(["Coop", "Comptabilité ; Gouvernance;"], ["name", "skills"])
    assert read.values["skills"] == "Comptabilité\nGouvernance"


# Sirene --------------------------------------------------------------------------------


@pytest.mark.parametrize("category, ess, family", [
    ("9220", None, "association"), ("9230", None, "association"),
    ("9300", None, "foundation"), ("8210", None, "mutual"), ("8290", None, "mutual"),
    ("5458", None, "cooperative"), ("5460", None, "cooperative"),
    ("5558", None, "cooperative"), ("5560", None, "cooperative"),
    ("5658", None, "cooperative"), ("5660", None, "cooperative"),
    ("6316", None, "cooperative"), ("6317", None, "cooperative"),
    ("6318", None, "cooperative"), ("5710", "O", "esus_company"),
    ("5710", "N", "other"), ("6540", None, "other"), ("1000", None, "other"),
])
def test_the_family_comes_from_the_insee_legal_category(category, ess, family):
    assert family_of(category, ess) == family


@pytest.mark.parametrize("label, expected", [
    ("REDON", "Redon"), ("SAINT-NICOLAS-DE-REDON", "Saint-Nicolas-de-Redon"),
    ("LA GACILLY", "La Gacilly"), ("BAINS-SUR-OUST", "Bains-sur-Oust"),
])
def test_sirene_commune_labels_are_written_the_french_way(label, expected):
    assert commune_label(label) == expected


def test_the_sirene_sample_is_recognised_and_read_without_mapping(app):
    data = (SAMPLES / "sirene-pays-de-redon.csv").read_bytes()
    assert is_sirene(read_table(data).header)
    planned = plan_of(data)
    assert planned.kind == "sirene"
    assert planned.counts["skipped"] == 2  # the closed establishments
    assert planned.other_categories == 1  # the SCI (6540): "other", counted, not refused
    assert planned.counts["refused"] == 0
    by_name = {row.name: row for row in planned.rows}
    scic = by_name["SCIC LA TABLE DE L OUST"].values
    assert scic["family"] == "cooperative" and scic["commune"] == "Bains-sur-Oust"
    assert scic["commune_insee"] == "35013" and scic["headcount_band"] == "01"
    assert scic["naf_code"] == "56.10A" and scic["employer"] is True
    assert by_name["ECO-BATI 44"].values["family"] == "esus_company"
    assert by_name["SCI DU CANAL"].values["family"] == "other"
    assert "headcount_band" not in by_name["CUMA DE LA VALLEE DU CANUT"].values  # NN


def test_closed_establishments_are_skipped_or_archived_when_asked(app):
    data = (SAMPLES / "sirene-pays-de-redon.csv").read_bytes()
    closed = create_organisation(None, name="Comité des fêtes de Malansac",
                                 siret=siret("91912345"), family="association")
    db.session.commit()
    assert plan_of(data).counts["skipped"] == 2
    planned = plan_of(data, archive_closed=True)
    assert planned.counts["skipped"] == 1  # the one not in the directory stays skipped
    row = next(row for row in planned.rows if row.organisation_id == closed.id)
    assert row.outcome == "updated" and "archived_at" in row.values
    imported(data, archive_closed=True)
    assert db.session.get(Organisation, closed.id).archived_at is not None
    assert db.session.get(Organisation, closed.id).name == "Comité des fêtes de Malansac"


def test_a_siren_matches_the_sirets_of_its_establishments(app):
    organisation = create_organisation(None, name="SCOP Les Ateliers du Canal",
                                       siret=siret("90123456")[:9], family="cooperative")
    db.session.commit()
    planned = plan_of((SAMPLES / "sirene-pays-de-redon.csv").read_bytes())
    row = next(row for row in planned.rows if row.organisation_id == organisation.id)
    assert row.outcome == "updated"
    assert row.values["siret"] == siret("90123456")  # the SIRET now known
    assert "name" not in row.values  # same name in capitals: the directory's spelling stays


# Plans, imports, re-imports ------------------------------------------------------------


def test_a_duplicate_row_inside_the_file_is_refused_with_the_first_line(app):
    planned = plan_of(csv_bytes("Atelier Vélo;;association;Redon;;;",
                                "ATELIER VELO;;association;redon;;;",
                                f"Coop A;{siret('90000001')};;;;;",
                                f"Coop B;{siret('90000001')};;;;;"))
    assert [(row.outcome, row.reasons) for row in planned.rows] == [
        ("created", []), ("refused", ["Duplicate of line 2 of the file."]),
        ("created", []), ("refused", ["Duplicate of line 4 of the file."])]


def test_the_preview_writes_nothing(app):
    before = count()
    planned = plan_of(csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    assert planned.counts["created"] == 1
    assert count() == before and count(OrganisationImport) == 0


def test_importing_again_updates_and_never_erases_what_the_file_leaves_empty(app):
    first = imported(csv_bytes(f"Atelier Vélo;{siret('90000001')};association;Redon;3;oui;"
                               "Mécanique", "Café Le Lien;;association;Peillac;1;oui;"))
    assert (first.created_count, count()) == (2, 2)
    velo = db.session.scalar(select(Organisation).where(Organisation.name == "Atelier Vélo"))
    assert (velo.headcount, velo.is_member, velo.skills) == (3, True, "Mécanique")
    again = imported(csv_bytes(f"Atelier Vélo;{siret('90000001')};;;5;;",
                               "cafe le lien;;;PEILLAC;1;oui;"))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 1, 1)
    assert count() == 2
    db.session.refresh(velo)
    assert (velo.headcount, velo.commune, velo.skills, velo.family, velo.is_member) == (
        5, "Redon", "Mécanique", "association", True)
    change = db.session.scalar(select(OrganisationImportChange).where(
        OrganisationImportChange.import_id == again.id))
    assert change.before == {"headcount": 3} and change.version_after == velo.version


def test_an_unchanged_row_says_so_and_is_not_written(app):
    imported(csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    version = db.session.scalar(select(Organisation.version))
    planned = plan_of(csv_bytes("Atelier Vélo;;Association;Redon;3;x;"))
    assert planned.counts == {"unchanged": 1}
    imported(csv_bytes("Atelier Vélo;;Association;Redon;3;x;"))
    assert db.session.scalar(select(Organisation.version)) == version


def test_a_name_shared_by_two_organisations_is_refused_until_the_siret_tells(app):
    for commune in ("Redon", "Allaire"):
        create_organisation(None, name="ADMR", family="association", commune=commune)
    db.session.commit()
    planned = plan_of(csv_bytes("ADMR;;;;2;;"))
    assert planned.rows[0].outcome == "refused"
    assert "Matches several organisations" in planned.rows[0].reasons[0]
    assert plan_of(csv_bytes("ADMR;;;Allaire;2;;")).rows[0].outcome == "updated"


def test_the_pole_samples_import_in_csv_and_xlsx_alike(app):
    csv_plan = plan_of((SAMPLES / "pole-adherents.csv").read_bytes())
    xlsx_plan = plan_of((SAMPLES / "pole-adherents.xlsx").read_bytes())
    assert csv_plan.counts == xlsx_plan.counts == {"created": 11, "refused": 1}
    assert [row.values for row in csv_plan.rows] == [row.values for row in xlsx_plan.rows]


# Undo ----------------------------------------------------------------------------------


def test_undo_deletes_what_the_import_created_and_puts_back_what_it_changed(app):
    imported(csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    second = imported(csv_bytes("Atelier Vélo;;;;5;;", "Nouvelle Coop;;coopérative;Rieux;;;"))
    assert count() == 2
    actor = factories.user(role="manager")
    services.undo_import(second, actor)
    db.session.commit()
    assert count() == 1
    velo = db.session.scalar(select(Organisation))
    assert velo.headcount == 3
    assert second.undone_at is not None and second.undone_by_id == actor.id
    with pytest.raises(services.AlreadyUndone):
        services.undo_import(second, actor)


def test_undo_is_refused_with_the_list_of_what_changed_since(app):
    record = imported(csv_bytes("Atelier Vélo;;association;Redon;3;oui;",
                                "Café Le Lien;;association;Peillac;1;oui;"))
    velo = db.session.scalar(select(Organisation).where(Organisation.name == "Atelier Vélo"))
    cafe = db.session.scalar(select(Organisation).where(Organisation.name == "Café Le Lien"))
    update_organisation(velo, velo.version, headcount=4)
    add_contact(cafe, name="Anne Briand")
    db.session.commit()
    with pytest.raises(services.UndoRefused) as refused:
        services.undo_import(record, factories.user(role="advisor"))
    assert sorted(refused.value.blockers) == [("Atelier Vélo", "changed since the import"),
                                              ("Café Le Lien", "contact people added")]
    db.session.rollback()
    assert count() == 2 and db.session.get(OrganisationImport, record.id).undone_at is None


# Routes --------------------------------------------------------------------------------


def _upload(client, data: bytes, name="adherents.csv", htmx=False):
    return client.post("/members/imports", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", htmx=htmx)


def _confirm_fields(html: str) -> dict:
    fields = dict(re.findall(r'<input type="hidden" name="(column-\d+|form_token|'
                             r'archive_closed)" value="([^"]*)"', html))
    return fields


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_only_staff_reach_the_imports(client, login, role):
    login(role)
    assert client.get("/members/imports").status_code == 403
    assert _upload(client, csv_bytes("A;;;;;;")).status_code == 403


def test_the_directory_links_staff_to_the_imports(client, login):
    login("advisor")
    assert 'href="/members/imports"' in client.get("/members").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_an_upload_is_kept_for_the_preview_and_writes_nothing(app, client, login, htmx):
    login("advisor")
    response = _upload(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;"), htmx=htmx)
    if htmx:
        assert response.status_code == 204 and "HX-Redirect" in response.headers
        target = response.headers["HX-Redirect"]
    else:
        assert response.status_code == 303
        target = response.headers["Location"]
    assert target.startswith("/members/imports/preview/")
    assert len(stored(app)) == 1 and count() == 0 and count(OrganisationImport) == 0


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"Nom;Commune\r\n", "no row"),
    (b"%PDF-1.7\n\x00\x00\xff", "not a spreadsheet"),
])
def test_a_malformed_upload_gets_422_with_a_message_and_nothing_kept(app, client, login,
                                                                    data, message):
    login("advisor")
    response = _upload(client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(app) == [] and count() == 0


def test_an_upload_over_the_import_limit_gets_413_before_parsing(app, client, login):
    login("advisor")
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = _upload(client, csv_bytes(*["Atelier;;;;;;"] * 200))
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)
    assert stored(app) == []


def test_a_50_mb_upload_gets_413_with_the_import_message(app, client, login):
    login("advisor")
    data = b"Nom;Commune\r\n" + b"A;B\r\n" * (10 * 1024 * 1024)
    # Built here to close the spooled body the test client would leave open.
    builder = EnvironBuilder(path="/members/imports", method="POST", headers={
        "Accept-Language": "en"}, data={"csrf_token": client.csrf_token(),
                                        "file": (io.BytesIO(data), "big.csv")})
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 10 MB" in page and 'id="upload-title"' in page
    assert stored(app) == [] and count() == 0


def _preview_url(client, data: bytes, name="adherents.csv") -> str:
    return _upload(client, data, name).headers["Location"]


def test_the_preview_shows_counts_and_each_row_with_its_reason(client, login):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;",
                                         "SCOP Bâti;;SCOP;Pipriac;12,5;;",
                                         "Atelier Vélo;;association;Redon;3;oui;"))
    response = client.get(url)
    assert response.status_code == 200 and "HX-Request" in response.vary
    page = response.get_data(as_text=True)
    assert "windows-1252" in page
    assert "Bad number for Salaried headcount: “12,5” (a whole number)." in page
    assert "Duplicate of line 2 of the file." in page
    assert '<option value="headcount" selected>' in page
    assert "Import: 1 organisation created or updated" in page
    assert count() == 0


def test_huge_headers_and_cells_are_shortened_in_the_mapping_so_its_fields_stay_reachable(
        client, login):
    login("advisor")
    header = "Nom;Commune;" + "H" * 3000
    url = _preview_url(client, csv_bytes(f"{'A' * 10000};Redon;{'x' * 5000}",
                                         "Atelier Vélo;Redon;ok", header=header,
                                         encoding="utf-8"))
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "H" * 81 not in page and "x" * 81 not in page and "A" * 201 not in page
    assert "H" * 60 in page and "x" * 40 in page  # shortened, not hidden
    assert "Atelier Vélo" in page


def test_the_file_name_loses_its_folders_bidi_controls_and_excess_length(app, client, login):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;"),
                       name="..\\../adh\u202evsc.\u200b\x07" + "n" * 400 + ".csv")
    page = client.get(url).get_data(as_text=True)
    assert "\u202e" not in page and "\x07" not in page and "../" not in page
    client.post(url, data=_confirm_fields(page))
    record = db.session.scalar(select(OrganisationImport))
    assert record.filename.startswith("adhvsc.") and len(record.filename) <= 255
    assert "\u202e" not in record.filename and "\x07" not in record.filename


def test_the_preview_is_a_fragment_for_htmx_and_follows_a_remapped_column(client, login):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;Vélo"))
    response = client.get(url + "?column-4=ignore&column-6=sector", htmx=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="import-preview"')
    assert "<html" not in fragment
    assert '<input type="hidden" name="column-6" value="sector">' in fragment
    assert '<input type="hidden" name="column-4" value="">' in fragment


@pytest.mark.parametrize("htmx", [False, True])
def test_a_mapping_without_a_name_or_with_a_field_twice_is_422(client, login, htmx):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    response = client.get(url + "?column-0=&column-3=sector&column-6=sector", htmx=htmx)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Choose the column that holds the names of the organisations." in text
    assert "Two columns fill “Sector”" in text
    assert "form_token" not in text


def test_another_users_preview_is_not_found(client, auth, login):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    auth.logout()
    login("manager")
    assert client.get(url).status_code == 404
    assert client.get("/members/imports/preview/not-a-token").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_confirming_imports_once_and_a_second_confirmation_is_refused(app, client, login,
                                                                       htmx):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;",
                                         "Café;;association;Peillac;1;oui;Gouvernance"))
    fields = _confirm_fields(client.get(url + "?column-6=notes").get_data(as_text=True))
    response = client.post(url, data=fields, htmx=htmx)
    record = db.session.scalar(select(OrganisationImport))
    target = f"/members/imports/{record.id}"
    if htmx:
        assert response.headers["HX-Redirect"] == target
    else:
        assert response.status_code == 303 and response.headers["Location"] == target
    assert (record.created_count, record.kind, record.filename) == (2, "spreadsheet",
                                                                    "adherents.csv")
    assert record.mapping["fields"][6] == "notes"
    cafe = db.session.scalar(select(Organisation).where(Organisation.name == "Café"))
    assert cafe.notes == "Gouvernance" and cafe.skills == ""
    assert stored(app) == []
    again = client.post(url, data=fields, htmx=htmx)
    assert (again.headers.get("HX-Redirect") or again.headers["Location"]) == target
    assert count() == 2 and count(OrganisationImport) == 1
    page = client.get(target).get_data(as_text=True)
    assert "This file was already imported: here is the import." in page


def test_a_confirmation_after_the_preview_expired_is_a_404_and_writes_nothing(app, client,
                                                                             login):
    login("advisor")
    url = _preview_url(client, csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    fields = _confirm_fields(client.get(url).get_data(as_text=True))
    for path in stored(app):
        path.unlink()
    response = client.post(url, data=fields)
    assert response.status_code == 404
    assert "no longer available" in response.get_data(as_text=True)
    assert count() == 0 and count(UsedFormToken) == 0


def test_the_history_lists_imports_and_an_import_page_lists_its_changes(client, login):
    user = login("advisor")
    url = _preview_url(client, csv_bytes("Atelier <b>Vélo</b>;;association;Redon;3;oui;"),
                       name="<img src=x onerror=alert(1)>.csv")
    client.post(url, data=_confirm_fields(client.get(url).get_data(as_text=True)))
    record = db.session.scalar(select(OrganisationImport))
    history = client.get("/members/imports")
    assert history.status_code == 200 and "HX-Request" in history.vary
    page = history.get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in page and "<img src=x" not in page
    assert user.name in page
    for htmx in (False, True):
        shown = client.get(f"/members/imports/{record.id}", htmx=htmx)
        assert shown.status_code == 200 and "HX-Request" in shown.vary
        text = shown.get_data(as_text=True)
        assert "Atelier &lt;b&gt;Vélo&lt;/b&gt;" in text and "Undo this import" in text
    assert client.get("/members/imports/999").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_undo_asks_first_then_undoes(client, login, htmx):
    login("advisor")
    record = imported(csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    url = f"/members/imports/{record.id}/undo"
    asked = client.post(url, htmx=htmx)
    assert asked.status_code == 200 and "Undo the import of test.csv?" in asked.get_data(
        as_text=True)
    assert count() == 1
    done = client.post(url, data={"confirm": "1"}, htmx=htmx)
    assert (done.headers.get("HX-Redirect") or done.headers["Location"]) == \
        f"/members/imports/{record.id}"
    assert count() == 0
    assert db.session.get(OrganisationImport, record.id).undone_at is not None
    again = client.post(url, data={"confirm": "1"}, htmx=htmx)
    assert again.status_code in (204, 303)
    assert "already undone" in client.get(f"/members/imports/{record.id}").get_data(
        as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_refused_undo_is_409_with_the_organisations_that_changed(client, login, htmx):
    login("advisor")
    record = imported(csv_bytes("Atelier Vélo;;association;Redon;3;oui;"))
    velo = db.session.scalar(select(Organisation))
    update_organisation(velo, velo.version, headcount=9)
    db.session.commit()
    response = client.post(f"/members/imports/{record.id}/undo", data={"confirm": "1"},
                           htmx=htmx)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Atelier Vélo: changed since the import" in text
    assert count() == 1 and db.session.scalar(select(Organisation.headcount)) == 9


# Scale ---------------------------------------------------------------------------------


def big_file(rows: int = 5000) -> bytes:
    """A pole spreadsheet of ``rows`` organisations (bench/imports.py uses it too)."""
    communes = ["Redon", "Allaire", "Pipriac", "Peillac", "Rieux", "La Gacilly"]
    lines = [f"Structure {n:05d};{siret(f'8{n:07d}')};association;{communes[n % 6]};"
             f"{n % 40};{'oui' if n % 3 else 'non'};Comptabilité; Gouvernance"
             for n in range(rows)]
    return csv_bytes(*lines, encoding="utf-8")


def test_a_5000_row_file_previews_and_imports_in_a_few_seconds(app):
    data = big_file()
    start = time.perf_counter()
    planned = plan_of(data)
    assert planned.counts == {"created": 5000}
    imported(data)
    first = time.perf_counter() - start
    assert count() == 5000
    start = time.perf_counter()
    record = imported(data.replace(b";oui;", b";non;"))  # every third row changes
    again = time.perf_counter() - start
    assert (record.updated_count, record.unchanged_count) == (3333, 1667)
    assert count() == 5000
    assert first < 30 and again < 30, (first, again)  # bench/imports.py: a few seconds


@pytest.mark.parametrize("htmx", [False, True])
def test_the_imports_page_answers_plain_and_htmx_requests(client, login, htmx):
    login("manager")
    response = client.get("/members/imports", htmx=htmx)
    assert response.status_code == 200 and "HX-Request" in response.vary
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "No import yet." in page


def test_a_sirene_extract_goes_through_the_preview_without_mapping(client, login):
    login("advisor")
    known = create_organisation(None, name="Comité des fêtes de Malansac",
                                siret=siret("91912345"), family="association")
    db.session.commit()
    url = _preview_url(client, (SAMPLES / "sirene-pays-de-redon.csv").read_bytes(),
                       name="sirene.csv")
    page = client.get(url + "?archive_closed=1").get_data(as_text=True)
    assert "Sirene extract recognised" in page and "column-0" not in page
    assert "1 establishment has a legal category outside the ESS families" in page
    fields = _confirm_fields(page)
    assert fields["archive_closed"] == "1"
    client.post(url, data=fields)
    record = db.session.scalar(select(OrganisationImport))
    assert (record.kind, record.created_count, record.updated_count, record.skipped_count) == (
        "sirene", 10, 1, 1)
    assert db.session.get(Organisation, known.id).archived_at is not None
