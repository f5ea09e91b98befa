"""French text is matched and sorted as French readers expect, on SQLite and PostgreSQL
alike (docs/french.md): search and filters ignore case and accents, every list of names is in
French order, free-text choices are offered in one spelling, and reference data shows in the
interface's language."""

from __future__ import annotations

import ast
import re
from html import unescape
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

import incubator
from incubator.extensions import db
from incubator.models import LegalForm, Project, Stage, Theme, User
from incubator.reference import DEFAULT_LEGAL_FORMS, DEFAULT_STAGES, DEFAULT_THEMES
from incubator.text import one_spelling, search_key, sort_key, sorted_french

from . import factories
from .conftest import TEST_DATABASE_URL, forget_schema, is_postgres, make_app

PEOPLE = ["Yann Le Goff", "Zoé", "éric", "Émilie Aubry", "Ärzte"]
FRENCH_ORDER = ["Ärzte", "Émilie Aubry", "éric", "Yann Le Goff", "Zoé"]


def _options(html: str, name: str) -> list[str]:
    """The texts of the options of the select named ``name``, in page order."""
    found = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select named {name}"
    return [re.sub(r"<[^>]+>", "", o).strip()
            for o in re.findall(r"<option[^>]*>(.*?)</option>", found.group(1), re.S)]


def _in_order(html: str, names: list[str]) -> list[str]:
    """``names`` as they appear in ``html``, in page order (each at its first place)."""
    return sorted(names, key=lambda n: html.index(n))


# The helpers.

def test_a_search_key_ignores_case_accents_ligatures_and_spacing():
    assert search_key("Écolieu") == search_key("ECOLIEU") == search_key("ecolieu") == "ecolieu"
    assert search_key("  Vilaine   Énergies ") == "vilaine energies"
    assert search_key("Œuvre d’Ærø ﬁne Straße") == "oeuvre d'aero fine strasse"
    assert search_key("Guémené‑Penfao") == "guemene-penfao"  # a non-breaking hyphen
    assert search_key(None) == ""


def test_names_sort_in_french_order():
    assert sorted_french(PEOPLE) == FRENCH_ORDER
    assert sorted(PEOPLE) != FRENCH_ORDER  # what code points give
    assert sorted_french(["Emile", "élan", "Elan"]) == ["Elan", "élan", "Emile"]
    assert sorted_french(["cote", "côte", "coté", "côté"]) == ["cote", "coté", "côte", "côté"]
    assert sort_key("Œdipe") < sort_key("Olivier")
    assert sorted_french([{"n": "Zoé"}, {"n": "Émilie"}], key=lambda d: d["n"])[0]["n"] == "Émilie"


def test_free_text_values_are_offered_once_in_one_spelling():
    used = [("redon", 1), ("REDON", 3), ("Peillac", 2), ("peillac", 5), ("St Jean", 1),
            ("  Redon ", 1)]
    assert one_spelling(used, reference=["Redon", "Allaire"]) == [
        "Allaire", "peillac", "Redon", "St Jean"]
    assert one_spelling(used, spellings=["Redon", "Allaire", "Peillac"]) == [
        "Peillac", "Redon", "St Jean"]


# Search and filters, through the board (SQLite and PostgreSQL: the suite runs on both).

@pytest.fixture
def demo_like(app):
    holder = factories.user(name="Émilie Aubry")
    projects = {
        "epicerie": factories.project(holders=[holder], title="Épicerie solidaire de Bains-sur-Oust"),
        "ecolieu": factories.project(title="Écolieu des Landes", commune="Guémené-Penfao"),
        "energies": factories.project(title="SCIC d'énergie citoyenne « Vilaine Énergies »",
                                      commune="Fégréac"),
        "other": factories.project(title="Garage solidaire", pitch="Réparer sans se ruiner"),
    }
    db.session.commit()
    return projects


@pytest.mark.parametrize(("query", "expected"), [
    ("epicerie", {"epicerie"}),
    ("Écolieu", {"ecolieu"}),
    ("ECOLIEU", {"ecolieu"}),
    ("écolieu des landes", {"ecolieu"}),
    ("vilaine energies", {"energies"}),
    ("VILAINE ÉNERGIES", {"energies"}),
    ("Vilaine", {"energies"}),
    ("emilie", {"epicerie"}),  # a holder's name
    ("AUBRY", {"epicerie"}),
    ("ruiner", {"other"}),  # the pitch
    ("fegreac", {"energies"}),  # the commune
    ("100%_", set()),  # LIKE's wildcards are plain text
])
def test_the_board_search_ignores_case_and_accents(client, login, demo_like, query, expected):
    login("advisor")
    html = client.get("/board", query_string={"q": query}).get_data(as_text=True)
    shown = {name for name, project in demo_like.items() if f'id="project-{project.id}"' in html}
    assert shown == expected


def test_the_commune_filter_ignores_case_and_accents(client, login, demo_like):
    login("advisor")
    for commune in ("Guémené-Penfao", "guemene-penfao", "GUEMENE-PENFAO"):
        html = client.get("/board", query_string={"commune": commune}).get_data(as_text=True)
        assert f'id="project-{demo_like["ecolieu"].id}"' in html, commune
        assert f'id="project-{demo_like["energies"].id}"' not in html


def test_keys_follow_edits_of_titles_and_names(client, login):
    login("advisor")
    project = factories.project(title="Ferme", stage_position=3)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/edit", htmx=True,
                           data=factories.complete_idea(title="Ferme pédagogique Éole",
                                                        commune="Rieux", save_draft="y",
                                                        version=project.version))
    assert response.status_code == 200
    db.session.expire_all()
    row = db.session.execute(
        select(Project.search_text, Project.commune_key).where(Project.id == project.id)).one()
    assert row.search_text.startswith("ferme pedagogique eole\n") and row.commune_key == "rieux"
    person = factories.user(name="Anne")
    person.name = "Ève Le Dû"
    db.session.commit()
    assert db.session.scalar(select(User.name_key).where(User.id == person.id)) == "eve le du"


# Every list of people in French order.

@pytest.fixture
def staff(app):
    people = [factories.user(role="advisor", name=name) for name in PEOPLE]
    db.session.commit()
    return people


def test_the_board_advisor_filter_lists_staff_in_french_order(client, login, staff):
    login("manager", name="Manon Manager")
    options = _options(client.get("/board").get_data(as_text=True), "advisor")
    assert [o for o in options if o in PEOPLE] == FRENCH_ORDER


def test_the_advisor_picker_and_the_assignee_list_are_in_french_order(client, login, staff):
    login("manager", name="Manon Manager")
    project = factories.project(title="Ferme")
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert [o for o in _options(html, "advisor_id") if o in PEOPLE] == FRENCH_ORDER
    assert [o for o in _options(html, "assignee_id") if o in PEOPLE] == FRENCH_ORDER


def test_the_user_list_is_in_french_order(client, login, staff):
    login("manager", name="Manon Manager")
    html = client.get("/admin/users", query_string={"role": "advisor"}).get_data(as_text=True)
    assert _in_order(html, PEOPLE) == FRENCH_ORDER


# Free-text choices in one spelling.

def test_communes_are_offered_once_whatever_their_spelling(client, login):
    login("advisor")
    for commune in ("redon", "REDON", "Redon", "Saint-jean-la-poterie", "Nozay", "NOZAY", "nozay"):
        factories.project(commune=commune)
    db.session.commit()
    options = _options(client.get("/board").get_data(as_text=True), "commune")
    assert options.count("Redon") == 1 and "redon" not in options and "REDON" not in options
    assert "Saint-Jean-la-Poterie" in options  # the territory's spelling
    assert [o for o in options if search_key(o) == "nozay"] == ["nozay"]  # the most used
    html = client.get("/projects/new").get_data(as_text=True)
    suggestions = re.findall(r'<option value="([^"]*)"', html.split('id="commune-suggestions"')[1].split("</datalist>")[0])
    assert suggestions.count("Redon") == 1 and "REDON" not in suggestions
    assert suggestions == sorted_french(suggestions)


# Reference data in the interface's language.

def _as(client, language: str, url: str) -> str:
    return client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)


def test_the_board_shows_stages_and_themes_in_the_interface_language(client, login):
    login("advisor")
    factories.project(title="Ferme", theme_id=factories.theme("Éco-construction").id)
    db.session.commit()
    english, french = _as(client, "en", "/board"), _as(client, "fr", "/board")
    assert "Feasibility study" in english and "Étude de faisabilité" not in english
    assert "Eco-construction" in english and "Éco-construction" not in english
    assert "Étude de faisabilité" in french and "Feasibility study" not in french
    assert "Éco-construction" in french
    assert "Organic catering" in _options(english, "theme")
    assert "Restauration bio hors domicile" in _options(french, "theme")


def test_the_project_page_shows_reference_data_in_the_interface_language(client, login):
    login("advisor")
    scop = db.session.scalar(select(LegalForm).where(LegalForm.name == "SCOP"))
    project = factories.project(title="Ferme", stage_position=2, legal_form_id=scop.id,
                                theme_id=factories.theme("Énergie").id)
    db.session.commit()
    english = _as(client, "en", f"/projects/{project.id}")
    french = _as(client, "fr", f"/projects/{project.id}")
    for shown in ("Emergence", "Energy", "SCOP (workers&#39; cooperative)", "“Welcome”"):
        assert shown in english, shown
    for shown in ("Émergence", "Énergie", "SCOP", "«\u202fAccueil\u202f»"):
        assert shown in french or shown.replace("«\u202f", "“").replace("\u202f»", "”") in french, shown
    assert "Emergence" not in french


def test_a_reference_row_without_english_shows_its_french_name(client, login):
    login("advisor")
    stage = factories.stage(1)
    stage.name, stage.name_en = "Premier accueil", ""
    db.session.commit()
    assert "Premier accueil" in _as(client, "en", "/board")


def test_the_idea_form_offers_not_decided_once_in_both_languages(client, login):
    login("holder")
    for language, undecided in (("en", "decided"), ("fr", "décidé")):
        options = _options(_as(client, language, "/projects/new"), "legal_form_id")
        assert len([o for o in options if undecided in o.lower()]) == 1, options
        assert len(options) == len(DEFAULT_LEGAL_FORMS) + 1
    english = _options(_as(client, "en", "/projects/new"), "theme_id")
    assert "Popular education" in english and "Éducation populaire" not in english


def test_the_seed_has_an_english_name_for_every_default():
    assert all(stage[2] and stage[3] for stage in DEFAULT_STAGES)
    assert all(en for _, en in DEFAULT_THEMES) and all(en for _, en in DEFAULT_LEGAL_FORMS)
    assert "Pas encore décidé" not in {fr for fr, _ in DEFAULT_LEGAL_FORMS}


def test_the_seeded_rows_carry_their_english_names(app):
    assert [s.name_en for s in factories.stages()][:2] == ["Welcome", "Emergence"]
    assert db.session.scalar(select(Theme.name_en).where(Theme.name == "Autre")) == "Other"
    assert db.session.scalar(select(Stage.description_en).where(Stage.name == "Accueil"))


# The migration fills what it adds for the rows already there.

def test_the_migration_fills_keys_and_english_names_of_existing_rows(tmp_path):
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'keys.db'}"
    app = make_app(url)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        try:
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            upgrade(directory=directory, revision="c3f1a2b4d5e6")
            db.session.execute(text(
                "INSERT INTO users (id, email, name, role, active, email_notifications, created_at)"
                " VALUES (1, 'e@example.org', 'Émilie Aubry', 'advisor', true, true,"
                " CURRENT_TIMESTAMP)"))
            db.session.execute(text(
                "INSERT INTO stages (id, name, description, position, active)"
                " VALUES (1, 'Accueil', '', 1, true), (2, 'Ma propre étape', '', 2, true)"))
            db.session.execute(text(
                "INSERT INTO legal_forms (id, name, position, active)"
                " VALUES (1, 'SCOP', 1, true), (2, 'Pas encore décidé', 2, true)"))
            db.session.execute(text(
                "INSERT INTO projects (id, title, pitch, need, target_public, planned_activity,"
                " commune, status, legal_form_id, created_at, last_activity_at, version)"
                " VALUES (1, 'Écolieu des Landes', 'Un lieu', '', '', '', 'Guémené-Penfao',"
                " 'draft', 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"))
            db.session.commit()
            upgrade(directory=directory)
            assert db.session.execute(text("SELECT name_key FROM users")).scalar() == "emilie aubry"
            search_text, commune_key, legal_form_id = db.session.execute(
                text("SELECT search_text, commune_key, legal_form_id FROM projects")).one()
            assert search_text == "ecolieu des landes\nun lieu\nguemene-penfao"
            assert commune_key == "guemene-penfao" and legal_form_id is None
            assert db.session.execute(text(
                "SELECT name_en FROM stages ORDER BY id")).scalars().all() == ["Welcome", ""]
            assert db.session.execute(text(
                "SELECT active FROM legal_forms WHERE id = 2")).scalar() in (False, 0)
            db.session.commit()  # the downgrade alters these tables on its own connection
            downgrade(directory=directory, revision="c3f1a2b4d5e6")
            assert "name_key" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
        finally:
            db.session.rollback()
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.engine.dispose()
            forget_schema(url)


# One sort helper: no list of names ordered another way.

PACKAGE = Path(incubator.__file__).parent
NAME_ORDER = re.compile(r"order_by\([^)]*\.(name|title|commune)\b(?!_key)")


def test_names_are_ordered_only_through_the_french_helpers():
    """An ``order_by(… .name)`` (code-point or database-collation order) or a ``sorted(…)``
    of texts outside ``incubator/text.py`` would list names in another order than French
    readers expect: use ``text.sorted_french`` or order by a ``*_key`` column (then by the
    name, for ties)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "text.py" and path.parent == PACKAGE:
            continue
        source = path.read_text(encoding="utf-8")
        for number, line in enumerate(source.splitlines(), 1):
            if NAME_ORDER.search(line) and "_key" not in line.split("order_by(", 1)[1]:
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "sorted":
                call = ast.unparse(node)
                if re.search(r"\b(name|title|commune|label)s?\b", call) or "casefold" in call:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {call}")
    assert offenders == []


def test_the_demo_projects_are_found_without_accents_or_capitals(app, auth):
    from incubator.demo import DEMO_LOGINS

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    _role, email, password = DEMO_LOGINS[0]  # the manager
    auth.login(email, password)
    client = auth.client

    def titles(**query) -> set[str]:
        html = client.get("/board", query_string=query).get_data(as_text=True)
        return {unescape(t) for t in re.findall(r'class="card-title"[^>]*>([^<]+)</a>', html)}

    active = set(db.session.scalars(select(Project.title).where(Project.status == "active")))
    epiceries = {t for t in active if t.startswith("Épicerie")}
    assert epiceries and titles(q="epicerie") == epiceries
    # ("Écolieu des Landes" of the issue is not in this demo: every title stands in for it.)
    for title in active:
        assert title in titles(q=search_key(title).upper()), title
    vilaine = {t for t in active if "Vilaine Énergies" in t}
    assert vilaine and titles(q="vilaine energies") == vilaine
