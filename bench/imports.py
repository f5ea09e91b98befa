"""Benchmark of the imports of organisations: a generated 5,000-row pole spreadsheet (CSV,
Windows-1252, semicolons, as a French Excel saves it; or XLSX with ``--xlsx``) sent through
the WSGI stack as a browser would (Flask's test client: routing, sessions, CSRF, one-time
form token, templates and SQL all count):

- upload: ``POST /members/imports`` (read, decoded, parsed, kept for the preview);
- preview: ``GET /members/imports/preview/<token>`` (every row planned against the
  directory: one query for the existing organisations), page size in KB;
- import: ``POST`` of the preview's confirmation form (5,000 organisations created, the
  import and its changes recorded, one transaction);
- re-import: the same file with a third of the rows changed, uploaded, previewed and
  imported again (5,000 matched: 3,333 updated, 1,667 unchanged);
- undo of the re-import.

Run from the repository root with the virtualenv's Python::

    .venv/bin/python bench/imports.py
    .venv/bin/python bench/imports.py --rows 5000 --xlsx
    INCUBATOR_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/bench \\
        .venv/bin/python bench/imports.py

SQLite in a temporary file by default; the PostgreSQL database named by
``INCUBATOR_DATABASE_URL`` (or ``--database``) is emptied first. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import MetaData, func, insert, select
from stdnum import luhn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from incubator import config as settings  # noqa: E402
from incubator import create_app  # noqa: E402
from incubator.extensions import db  # noqa: E402
from incubator.models import Organisation, Role, User  # noqa: E402
from incubator.passwords import hash_password  # noqa: E402
from incubator.reference import seed_reference_data  # noqa: E402
from incubator.text import search_key  # noqa: E402

EMAIL, PASSWORD = "imports@bench.example.org", "bench-password-imports-1"
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
HEADER = ["Nom", "SIRET", "Famille", "Forme juridique", "Code NAF", "Secteur", "Commune",
          "Code INSEE", "Effectif salarié", "Employeur", "Adhérent", "Année d'adhésion",
          "Compétences", "Capacité de parrainage", "Site web", "Notes"]
COMMUNES = [("Redon", "35236"), ("Allaire", "56001"), ("Pipriac", "35219"),
            ("Peillac", "56154"), ("Rieux", "56194"), ("La Gacilly", "56061"),
            ("Guémené-Penfao", "44067"), ("Bains-sur-Oust", "35013")]
FAMILIES = [("Association", "9220"), ("Coopérative", "5458"), ("Mutuelle", "8210"),
            ("Fondation", "9300"), ("Entreprise ESUS", "5710")]


def siret(n: int) -> str:
    """A fictitious SIRET with valid keys, one per ``n``."""
    siren = f"8{n:07d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


def rows(count: int, changed: bool = False) -> list[list[str]]:
    """``count`` believable rows; ``changed``: every third row has another headcount."""
    out = []
    for n in range(count):
        commune, insee = COMMUNES[n % len(COMMUNES)]
        family, category = FAMILIES[n % len(FAMILIES)]
        headcount = n % 40 + (1 if changed and n % 3 == 0 else 0)
        out.append([f"Structure de l’économie sociale n° {n:05d}", siret(n), family, category,
                    "88.99B", "Solidarité", commune, insee, f"{headcount:,}".replace(",", " "),
                    "oui" if headcount else "non", "oui" if n % 2 else "non",
                    str(2000 + n % 25) if n % 2 else "", "Comptabilité; Gouvernance",
                    str(n % 3), f"https://structure-{n}.example.org", "Notes d’adhésion"])
    return out


def csv_file(data: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(data)
    return buffer.getvalue().encode("cp1252")


def xlsx_file(data: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_app(url: str, folder: str):
    config = settings.for_tests(url)
    config.update({"TESTING": False, "RATELIMIT_ENABLED": False, "IMPORT_FOLDER": folder,
                   "WORKER_INLINE": False})
    app = create_app(config)
    with app.app_context():
        existing = MetaData()
        existing.reflect(bind=db.engine)
        existing.drop_all(bind=db.engine)
        db.create_all()
        seed_reference_data(db.session)
        db.session.execute(insert(User), [{
            "email": EMAIL, "name": "Bench Imports", "name_key": search_key("Bench Imports"),
            "role": Role.ADVISOR.value, "active": True, "password_hash": hash_password(PASSWORD),
            "email_notifications": False}])
        db.session.commit()
    return app


def timed(call, *args, **kwargs):
    start = time.perf_counter()
    response = call(*args, **kwargs)
    return response, time.perf_counter() - start


def csrf(client, path: str) -> str:
    return CSRF_INPUT.search(client.get(path).get_data(as_text=True)).group(1)


def run_once(client, data: bytes, name: str) -> dict:
    """Upload, preview and import ``data``: seconds of each step, the preview's size."""
    token = csrf(client, "/members/imports")
    response, upload = timed(client.post, "/members/imports", data={
        "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")
    assert response.status_code == 303, response.status_code
    preview_url = response.headers["Location"]
    response, preview = timed(client.get, preview_url)
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(column-\d+|form_token|csrf_token)" '
                             r'value="([^"]*)"', page))
    response, imported = timed(client.post, preview_url, data=fields)
    assert response.status_code == 303, response.status_code
    return {"upload": upload, "preview": preview, "import": imported,
            "preview_kb": len(page.encode()) / 1024, "import_url": response.headers["Location"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--xlsx", action="store_true", help="an XLSX workbook, not a CSV")
    parser.add_argument("--database", default=os.environ.get("INCUBATOR_DATABASE_URL"))
    options = parser.parse_args()
    make = xlsx_file if options.xlsx else csv_file
    name = "adherents.xlsx" if options.xlsx else "adherents.csv"
    with tempfile.TemporaryDirectory() as folder:
        url = options.database or f"sqlite:///{folder}/bench.sqlite"
        app = make_app(url, str(Path(folder) / "uploads"))
        first_file, second_file = make(rows(options.rows)), make(rows(options.rows, True))
        client = app.test_client()
        response = client.post("/auth/login", data={
            "email": EMAIL, "password": PASSWORD, "csrf_token": csrf(client, "/auth/login")})
        assert response.status_code == 303, response.status_code
        first = run_once(client, first_file, name)
        second = run_once(client, second_file, name)
        token = csrf(client, second["import_url"])
        response, undo = timed(client.post, second["import_url"] + "/undo",
                               data={"csrf_token": token, "confirm": "1"})
        assert response.status_code == 303, response.status_code
        with app.app_context():
            organisations = db.session.scalar(select(func.count()).select_from(Organisation))
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"{options.rows} rows, {'XLSX' if options.xlsx else 'CSV'} "
              f"({len(first_file) / 1024:.0f} KB), {database}")
        for label, step in (("first import", first), ("re-import", second)):
            print(f"  {label:13} upload {step['upload']:.2f} s · preview "
                  f"{step['preview']:.2f} s ({step['preview_kb']:.0f} KB) · import "
                  f"{step['import']:.2f} s")
        print(f"  undo of the re-import {undo:.2f} s; organisations in the directory: "
              f"{organisations}")
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
