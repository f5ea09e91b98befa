"""Importing organisations in Chromium: a CSV sent from the directory, one column remapped in
the preview (htmx swaps the preview and the confirmation follows the new mapping), then
imported; each page passes axe."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Organisation, OrganisationImport

from .. import factories
from .conftest import axe_violations, log_in

CSV = ("Nom;Commune;Effectif salarié;Savoir-faire\r\n"
       "Atelier Vélo Redonnais;Redon;2;Mécanique vélo\r\n"
       "Café associatif Le Lien;Peillac;1;Animation de lieu\r\n").encode("cp1252")


def test_a_csv_is_imported_through_the_preview_with_one_column_remapped(page, live_server,
                                                                        live_app, tmp_path):
    live_app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        db.session.commit()
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + "/members")
    page.get_by_role("button", name="Importer des structures").click()
    expect(page).to_have_url(re.compile(r"/members/imports$"))
    assert axe_violations(page) == []
    page.get_by_label("Tableur ou extrait Sirene").set_input_files(
        files=[{"name": "adherents.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.get_by_role("button", name="Voir l’aperçu").click()
    expect(page).to_have_url(re.compile(r"/members/imports/preview/"))
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("2 créées")
    # "Savoir-faire" is not a known header: ignored until the user maps it.
    column = page.get_by_label("Savoir-faire")
    expect(column).to_have_value("")
    assert axe_violations(page) == []
    column.select_option("skills")
    expect(preview.locator('input[name="column-3"]')).to_have_value("skills")
    expect(page).to_have_url(re.compile(r"column-3=skills"))
    assert axe_violations(page) == []
    with live_app.app_context():
        assert db.session.scalar(select(Organisation.id)) is None  # the preview wrote nothing
    preview.get_by_role("button", name=re.compile("^Importer")).click()
    expect(page).to_have_url(re.compile(r"/members/imports/\d+$"))
    expect(page.locator("#messages, .flash, body").first).to_contain_text("Import terminé")
    assert axe_violations(page) == []
    with live_app.app_context():
        skills = dict(db.session.execute(select(Organisation.name, Organisation.skills)).all())
        assert skills == {"Atelier Vélo Redonnais": "Mécanique vélo",
                          "Café associatif Le Lien": "Animation de lieu"}
        record = db.session.scalar(select(OrganisationImport))
        assert record.mapping["fields"] == ["name", "commune", "headcount", "skills"]
