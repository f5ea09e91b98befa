"""The reference lists on /admin/lists (issue 13, part C): themes, envisaged legal forms,
committee criteria and note kinds (add once, rename FR/EN version-checked, order, retire and
bring back, every change recorded), retired items kept on old records but not offered for
new ones, and the communes reference imported from a file (preview, then apply)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from incubator.dom import dom_id
from incubator.extensions import db
from incubator.models import (
    AppendOnlyError,
    CommitteeCriterion,
    Commune,
    LegalForm,
    Note,
    NoteKind,
    ReferenceListChange,
    Theme,
)
from incubator.reference import DEFAULT_THEMES, themes

from . import factories

LISTS = {"themes": Theme, "legal-forms": LegalForm, "criteria": CommitteeCriterion,
         "note-kinds": NoteKind}


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _changes(slug: str) -> list[ReferenceListChange]:
    return list(db.session.scalars(select(ReferenceListChange).where(
        ReferenceListChange.list == slug).order_by(ReferenceListChange.id)))


def _first(model):
    return db.session.scalar(select(model).order_by(model.position, model.id))


def _token(client, url: str, name: str) -> str:
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _select(response, name: str) -> str:
    """The ``<select name=…>`` of the page, options included."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert found, name
    return found.group(0)


# Who may, which list ------------------------------------------------------------------------


@pytest.mark.parametrize("slug", [*LISTS, None])
def test_a_manager_sees_each_list_as_a_page_and_as_a_fragment(client, login, slug):
    login("manager")
    url = f"/admin/lists/{slug}" if slug else "/admin/lists"
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert "<html" in html
    if slug:
        fragment = client.get(url, htmx=True).get_data(as_text=True)
        assert fragment.lstrip().startswith('<section id="reference-list"')
        assert "<html" not in fragment
        first = _first(LISTS[slug])
        assert first.name in html and f'id="{dom_id(first)}"' in html


def test_the_overview_names_every_list_with_its_counts(client, login):
    login("manager")
    html = client.get("/admin/lists", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for slug in (*LISTS, "communes"):
        assert f'id="list-{slug}"' in html
    assert f"{len(DEFAULT_THEMES)} active items" in html


@pytest.mark.parametrize("role", ["advisor", "holder", "mentor"])
def test_other_roles_get_403_and_change_nothing(client, login, role):
    login(role)
    theme = _first(Theme)
    assert client.get("/admin/lists").status_code == 403
    assert client.get("/admin/lists/themes").status_code == 403
    assert client.post("/admin/lists/themes", data={"name": "Pêche"}).status_code == 403
    assert client.post(f"/admin/lists/themes/{theme.id}/active",
                       data={"active": "0"}).status_code == 403
    assert client.get("/admin/lists/communes").status_code == 403
    assert _count(ReferenceListChange) == 0 and theme.active


def test_an_unknown_list_is_404(client, login):
    login("manager")
    assert client.get("/admin/lists/colours").status_code == 404
    assert client.post("/admin/lists/colours", data={"name": "Rouge"}).status_code == 404
    assert client.post("/admin/lists/colours/1/move", data={"direction": "up"}).status_code == 404


def test_an_item_id_of_another_list_is_404(client, login):
    """A theme's id posted to the legal forms' routes (no legal form has that id)."""
    login("manager")
    theme = db.session.scalar(select(Theme).order_by(Theme.id.desc()))
    assert db.session.get(LegalForm, theme.id) is None
    for action, data in (("rename", {f"i{theme.id}-name": "X", f"i{theme.id}-version": "1"}),
                         ("move", {"direction": "up", "order": _order(LegalForm)}), ("active", {"active": "0"})):
        response = client.post(f"/admin/lists/legal-forms/{theme.id}/{action}", data=data)
        assert response.status_code == 404, action
    assert theme.active and _count(ReferenceListChange) == 0


# Add ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", list(LISTS))
def test_adding_an_item_puts_it_last_and_records_who_and_when(client, login, slug):
    manager = login("manager")
    model = LISTS[slug]
    response = client.post(f"/admin/lists/{slug}",
                           data={"name": "Économie de la mer", "name_en": "Sea economy"})
    assert response.status_code == 303
    item = db.session.scalar(select(model).where(model.name == "Économie de la mer"))
    last = db.session.scalar(select(func.max(model.position)))
    assert item.active and item.position == last and item.name_en == "Sea economy"
    [change] = _changes(slug)
    assert (change.change, change.item_id, change.by_id) == ("added", item.id, manager.id)
    assert change.at is not None


def test_adding_by_htmx_answers_the_list_with_the_new_item_focused(client, login):
    login("manager")
    response = client.post("/admin/lists/themes", data={"name": "Pêche"}, htmx=True)
    html = response.get_data(as_text=True)
    item = db.session.scalar(select(Theme).where(Theme.name == "Pêche"))
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert html.lstrip().startswith('<section id="reference-list"')
    assert f'"id": "{dom_id(item)}"' in response.headers["HX-Trigger-After-Settle"]


def test_a_new_note_kind_gets_a_generated_code_that_renames_never_change(client, login):
    login("manager")
    client.post("/admin/lists/note-kinds", data={"name": "Atelier collectif"})
    kind = db.session.scalar(select(NoteKind).where(NoteKind.name == "Atelier collectif"))
    assert kind.code == "ateliercollectif"[:8]
    client.post("/admin/lists/note-kinds", data={"name": "Atelier-collectif bis"})
    second = db.session.scalar(select(NoteKind).where(NoteKind.name == "Atelier-collectif bis"))
    assert second.code != kind.code and len(second.code) <= 10
    client.post(f"/admin/lists/note-kinds/{kind.id}/rename",
                data={f"i{kind.id}-name": "Atelier", f"i{kind.id}-version": "1"})
    db.session.refresh(kind)
    assert kind.name == "Atelier" and kind.code == "ateliercollectif"[:8]


@pytest.mark.parametrize("name", ["énergie", "ENERGIE", " Énergie "])
def test_a_name_already_in_the_list_ignoring_case_and_accents_is_422(client, login, name):
    login("manager")
    before = _count(Theme)
    response = client.post("/admin/lists/themes", data={"name": name})
    assert response.status_code == 422
    assert "Énergie" in response.get_data(as_text=True)
    assert _count(Theme) == before and _count(ReferenceListChange) == 0
    response = client.post("/admin/lists/themes", data={"name": name}, htmx=True)
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<section id="reference-list"')


def test_an_english_name_already_used_is_422(client, login):
    login("manager")
    response = client.post("/admin/lists/themes", data={"name": "Nouveau", "name_en": "energy"})
    assert response.status_code == 422 and _count(Theme, Theme.name == "Nouveau") == 0


def test_an_empty_name_is_422_with_a_message(client, login):
    login("manager")
    response = client.post("/admin/lists/legal-forms", data={"name": "  "})
    assert response.status_code == 422
    assert "Enter the French name." in response.get_data(as_text=True)


def test_the_add_form_is_accepted_once(client, login):
    login("manager")
    token = _token(client, "/admin/lists/themes", "list-themes")
    data = {"name": "Pêche", "form_token": token}
    assert client.post("/admin/lists/themes", data=data).status_code == 303
    again = client.post("/admin/lists/themes", data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith("/admin/lists/themes")
    assert _count(Theme, Theme.name == "Pêche") == 1 and len(_changes("themes")) == 1


# Rename -------------------------------------------------------------------------------------


def test_renaming_changes_both_names_and_keeps_every_record_on_the_item(client, login):
    login("manager")
    theme = factories.theme("Culture")
    project = factories.project(theme_id=theme.id)
    db.session.commit()
    response = client.post(f"/admin/lists/themes/{theme.id}/rename", data={
        f"i{theme.id}-name": "Culture et patrimoine", f"i{theme.id}-name_en": "Heritage",
        f"i{theme.id}-version": str(theme.version)})
    assert response.status_code == 303
    db.session.refresh(theme)
    db.session.refresh(project)
    assert (theme.name, theme.name_en, theme.version) == ("Culture et patrimoine", "Heritage", 2)
    assert project.theme_id == theme.id
    [change] = _changes("themes")
    assert change.change == "renamed" and "Culture → Culture et patrimoine" in change.detail
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Culture et patrimoine" in page


def test_a_stale_rename_is_409_and_keeps_the_input(client, login):
    login("manager")
    item = _first(LegalForm)
    url = f"/admin/lists/legal-forms/{item.id}/rename"
    client.post(url, data={f"i{item.id}-name": "Asso 1901", f"i{item.id}-version": "1"})
    for htmx in (False, True):
        response = client.post(url, htmx=htmx, data={
            f"i{item.id}-name": "Association déclarée", f"i{item.id}-version": "1"})
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert 'value="Association déclarée"' in html and "conflict-notice" in html
        assert f'name="i{item.id}-version" value="2"' in html
    db.session.refresh(item)
    assert item.name == "Asso 1901" and len(_changes("legal-forms")) == 1


def test_a_rename_to_another_items_name_is_422(client, login):
    login("manager")
    first, second = list(db.session.scalars(select(Theme).order_by(Theme.position).limit(2)))
    response = client.post(f"/admin/lists/themes/{second.id}/rename", data={
        f"i{second.id}-name": first.name.upper(), f"i{second.id}-version": "1"})
    assert response.status_code == 422
    assert f'value="{first.name.upper()}"' in response.get_data(as_text=True)


def test_a_criterion_has_a_description_the_others_not(client, login):
    login("manager")
    criterion = _first(CommitteeCriterion)
    response = client.post(f"/admin/lists/criteria/{criterion.id}/rename", data={
        f"i{criterion.id}-name": criterion.name, f"i{criterion.id}-description": "Un collectif.",
        f"i{criterion.id}-version": "1"})
    assert response.status_code == 303
    db.session.refresh(criterion)
    assert criterion.description == "Un collectif."
    assert "Description" in client.get("/admin/lists/criteria", headers={
        "Accept-Language": "en"}).get_data(as_text=True)
    assert 'name="description"' not in client.get("/admin/lists/themes").get_data(as_text=True)


# Order --------------------------------------------------------------------------------------


def test_moving_up_and_down_swaps_with_the_neighbour_and_keeps_the_focus(client, login):
    login("manager")
    first, second = list(db.session.scalars(select(Theme).order_by(Theme.position).limit(2)))
    response = client.post(f"/admin/lists/themes/{second.id}/move",
                           data={"direction": "up", "order": _order(Theme)})
    assert response.status_code == 303
    assert [t.id for t in themes()][:2] == [second.id, first.id]
    response = client.post(f"/admin/lists/themes/{second.id}/move",
                           data={"direction": "down", "order": _order(Theme)}, htmx=True)
    assert response.status_code == 200
    assert f'"id": "{dom_id(second, "move-down")}"' in response.headers["HX-Trigger-After-Settle"]
    assert [t.id for t in themes()][:2] == [first.id, second.id]
    assert [c.change for c in _changes("themes")] == ["moved", "moved"]


def test_moving_the_first_item_up_changes_nothing(client, login):
    login("manager")
    first = _first(Theme)
    response = client.post(f"/admin/lists/themes/{first.id}/move",
                           data={"direction": "up", "order": _order(Theme)}, htmx=True)
    assert response.status_code == 200 and _changes("themes") == []
    assert themes()[0].id == first.id


def test_a_move_without_a_direction_is_400(client, login):
    login("manager")
    first = _first(Theme)
    assert client.post(f"/admin/lists/themes/{first.id}/move",
                       data={"direction": "left", "order": _order(Theme)}).status_code == 400


def _order(model) -> str:
    """The list's ids in order, as its page's move forms carry them."""
    return ",".join(str(each.id) for each in db.session.scalars(
        select(model).order_by(model.position, model.id)))


@pytest.mark.parametrize("htmx", [False, True])
def test_a_move_from_a_stale_page_is_refused_and_writes_nothing(client, login, htmx):
    """Two tabs (or two managers) press « ↑ » on the same theme: the second press comes from
    an order that is no longer true and must not move it a second place."""
    login("manager")
    seen = _order(Theme)
    third = themes()[2]
    assert client.post(f"/admin/lists/themes/{third.id}/move",
                       data={"direction": "up", "order": seen}).status_code == 303
    after_first = _order(Theme)
    response = client.post(f"/admin/lists/themes/{third.id}/move",
                           data={"direction": "up", "order": seen}, htmx=htmx)
    assert response.status_code == 409
    assert "changed since this page was loaded" in response.get_data(as_text=True)
    assert _order(Theme) == after_first
    assert [c.change for c in _changes("themes")] == ["moved"]
    # The refusal shows the current order: a move from it works.
    assert f'name="order" value="{after_first}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("order", ["", "abc", "1,1,2", "1;2", "-1", "9" * 40, None])
def test_a_move_with_a_forged_order_is_refused(client, login, order):
    login("manager")
    first = themes()[1]
    before = _order(Theme)
    data = {"direction": "up"} if order is None else {"direction": "up", "order": order}
    response = client.post(f"/admin/lists/themes/{first.id}/move", data=data)
    assert response.status_code in (400, 409)
    assert _order(Theme) == before and _changes("themes") == []


# Retire, bring back, old records -------------------------------------------------------------


def test_a_retired_theme_is_not_offered_to_a_new_idea_but_stays_on_its_project(client, login):
    manager = login("manager")
    theme = factories.theme("Culture")
    project = factories.project(theme_id=theme.id, advisor=manager)
    db.session.commit()
    assert client.post(f"/admin/lists/themes/{theme.id}/active",
                       data={"active": "0"}).status_code == 303
    db.session.refresh(theme)
    assert not theme.active and _changes("themes")[0].change == "retired"
    assert "Culture" not in _select(client.get("/projects/new"), "theme_id")
    assert "Culture" not in _select(client.get("/board"), "theme")
    assert "Culture" not in _select(client.get("/pipeline"), "theme")
    edit = _select(client.get(f"/projects/{project.id}/edit"), "theme_id")
    assert re.search(rf'<option selected value="{theme.id}">Culture', edit), edit
    assert "Culture" in client.get(f"/projects/{project.id}").get_data(as_text=True)
    # Brought back: offered again.
    client.post(f"/admin/lists/themes/{theme.id}/active", data={"active": "1"})
    assert "Culture" in _select(client.get("/projects/new"), "theme_id")
    assert [c.change for c in _changes("themes")] == ["retired", "restored"]


def test_a_retired_legal_form_stays_on_its_project_when_the_project_is_saved(client, login):
    manager = login("manager")
    form = _first(LegalForm)
    theme = factories.theme("Culture")
    project = factories.project(advisor=manager, theme_id=theme.id, legal_form_id=form.id)
    db.session.commit()
    for slug, item in (("legal-forms", form), ("themes", theme)):
        client.post(f"/admin/lists/{slug}/{item.id}/active", data={"active": "0"})
    assert f'value="{form.id}"' not in _select(client.get("/projects/new"), "legal_form_id")
    assert f'selected value="{form.id}"' in _select(client.get(f"/projects/{project.id}/edit"),
                                                     "legal_form_id")
    response = client.post(f"/projects/{project.id}/edit", data=factories.complete_idea(
        title="Nouveau titre", theme_id=str(theme.id), legal_form_id=str(form.id),
        save_draft="y", version=project.version))
    assert response.status_code == 303
    db.session.refresh(project)
    assert (project.title, project.legal_form_id, project.theme_id) == (
        "Nouveau titre", form.id, theme.id)
    # A new idea cannot take them (a forged choice).
    refused = client.post("/projects/new", data=factories.complete_idea(
        legal_form_id=str(form.id), submit_idea="y"))
    assert refused.status_code == 422


def test_pressing_retire_twice_from_a_stale_page_changes_nothing_more(client, login):
    login("manager")
    theme = _first(Theme)
    for _ in range(2):
        client.post(f"/admin/lists/themes/{theme.id}/active", data={"active": "0"})
    assert len(_changes("themes")) == 1


def test_a_retired_note_kind_is_not_offered_but_old_notes_keep_and_show_it(client, login):
    manager = login("manager")
    project = factories.project(advisor=manager)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/notes", data={
        "kind": "visit", "happened_on": "2026-11-30", "body": "Visite du local.",
        "visibility": "internal"})
    assert response.status_code == 303
    note = db.session.scalar(select(Note))
    visit = db.session.scalar(select(NoteKind).where(NoteKind.code == "visit"))
    client.post(f"/admin/lists/note-kinds/{visit.id}/active", data={"active": "0"})
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Visite" in page and 'value="visit"' not in page
    refused = client.post(f"/projects/{project.id}/notes", data={
        "kind": "visit", "happened_on": "2026-11-30", "body": "Autre visite.",
        "visibility": "internal"})
    assert refused.status_code == 422 and _count(Note) == 1
    edit = client.get(f"/projects/{project.id}/notes/{note.id}/edit").get_data(as_text=True)
    assert 'value="visit"' in edit
    saved = client.post(f"/projects/{project.id}/notes/{note.id}", data={
        "kind": "visit", "happened_on": "2026-11-30", "body": "Visite du local, corrigée.",
        "visibility": "internal", "version": "1"})
    assert saved.status_code == 303
    db.session.refresh(note)
    assert note.kind == "visit" and note.body.endswith("corrigée.")


def test_a_note_of_a_kind_that_does_not_exist_is_refused(client, login):
    manager = login("manager")
    project = factories.project(advisor=manager)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/notes", data={
        "kind": "dance", "happened_on": "2026-11-30", "body": "…", "visibility": "internal"})
    assert response.status_code == 422 and _count(Note) == 0


def test_the_usage_counts_count_the_records_of_each_item(client, login):
    manager = login("manager")
    theme = factories.theme("Culture")
    for _ in range(2):
        factories.project(theme_id=theme.id, advisor=manager)
    db.session.commit()
    html = client.get("/admin/lists/themes", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    row = html[html.index(f'id="{dom_id(theme)}"'):]
    assert "2 records" in row[:row.index("</tr>")]


def test_the_history_is_append_only_and_shown_on_the_page(client, login):
    manager = login("manager")
    theme = _first(Theme)
    client.post(f"/admin/lists/themes/{theme.id}/active", data={"active": "0"})
    [change] = _changes("themes")
    html = client.get("/admin/lists/themes").get_data(as_text=True)
    assert manager.name in html[html.index('id="list-history-title"'):]
    change.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


# The IAE theme's apostrophe -------------------------------------------------------------------


def test_the_default_iae_theme_has_the_typographic_apostrophe():
    assert ("Insertion par l’activité économique", "Work integration") in DEFAULT_THEMES
    assert not any("'" in name for name, _en in DEFAULT_THEMES)


# The communes reference ---------------------------------------------------------------------

INSEE = ("TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
         "COM,35236,53,35,35D,352,0,REDON,Redon,Redon,3522,\n"
         "COM,35001,53,35,35D,351,0,ACIGNE,Acigne,Acigné,3510,\n"
         "COMD,35001,53,35,35D,351,0,VIEUX,Vieux,Vieux-Acigné,,35001\n"
         "COM,3500X,53,35,35D,351,0,BAD,Bad,Mauvais code,,\n")
SHIPPED = ("code;nom;codesPostaux;codeEpci;nomEpci;latitude;longitude\n"
           "35236;Redon;35600;243500741;Redon Agglomération;47,651;-2,084\n"
           "56001;Allaire;56350;200067932;Redon Agglomération;47.638;-2.164\n")


def _upload(client, content: bytes, name: str = "communes.csv", **kwargs):
    return client.post("/admin/lists/communes", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", **kwargs)


def _known_redon() -> Commune:
    redon = Commune(insee_code="35236", name="Redon", postcodes="35600", latitude=47.651,
                    longitude=-2.084)
    db.session.add(redon)
    db.session.commit()
    return redon


def test_the_communes_page_shows_the_count_and_the_form(client, login):
    login("manager")
    _known_redon()
    response = client.get("/admin/lists/communes", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "holds 1 commune" in html
    assert 'id="communes-form"' in html


def test_an_insee_file_is_previewed_then_applied_once(client, login):
    manager = login("manager")
    _known_redon()
    response = _upload(client, INSEE.encode("utf-8"))
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    assert 'id="count-new">1<' in html and 'id="count-changed">0<' in html
    assert 'id="count-unchanged">1<' in html and 'id="count-errors">1<' in html
    assert "Line 5" in html or "Ligne 5" in html
    assert _count(Commune) == 1  # nothing written by the preview
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    form_token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    data = {"token": token, "form_token": form_token}
    assert client.post("/admin/lists/communes/apply", data=data).status_code == 303
    acigne = db.session.get(Commune, "35001")
    assert acigne.name == "Acigné" and acigne.name_key == "acigne"
    redon = db.session.get(Commune, "35236")
    assert redon.postcodes == "35600" and redon.latitude == 47.651  # not blanked
    [change] = _changes("communes")
    assert change.change == "imported" and change.by_id == manager.id
    assert '"new": 1' in change.detail
    again = client.post("/admin/lists/communes/apply", data=data)
    assert again.status_code == 303 and len(_changes("communes")) == 1
    page = client.get("/admin/lists/communes", headers={"Accept-Language": "en"})
    assert "communes.csv: 1 new, 0 changed, 1 unchanged, 1 lines left out" in page.get_data(
        as_text=True)


def test_the_shipped_file_in_windows_1252_updates_and_adds(client, login):
    login("manager")
    _known_redon()
    content = SHIPPED.replace("Redon Agglomération", "Redon Agglomération").encode("cp1252")
    response = _upload(client, content, htmx=True)
    assert response.status_code == 204 and "HX-Redirect" in response.headers
    html = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert 'id="count-new">1<' in html and 'id="count-changed">1<' in html
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/admin/lists/communes/apply", data={"token": token})
    assert db.session.get(Commune, "35236").epci_name == "Redon Agglomération"
    assert db.session.get(Commune, "56001").latitude == 47.638


def test_a_file_in_an_unreadable_encoding_is_refused(client, login):
    login("manager")
    response = _upload(client, "code,nom\n35236,Redon\x81\n".encode("latin-1"))
    assert response.status_code == 422
    assert "encoding" in response.get_data(as_text=True).lower() or "encodage" in \
        response.get_data(as_text=True)


def test_a_file_without_the_name_column_is_refused(client, login):
    login("manager")
    response = _upload(client, b"code,population\n35236,9000\n",
                       headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "the name (LIBELLE or nom)" in response.get_data(as_text=True)
    assert _count(Commune) == 0


def test_a_file_too_large_is_413(app, client, login):
    login("manager")
    app.config["IMPORT_MAX_BYTES"] = 100
    response = _upload(client, SHIPPED.encode() * 3)
    assert response.status_code == 413 and _count(Commune) == 0


def test_no_file_is_422(client, login):
    login("manager")
    response = client.post("/admin/lists/communes", data={},
                           content_type="multipart/form-data")
    assert response.status_code == 422


def test_a_commune_used_by_records_is_never_deleted(client, login):
    """An import only adds and updates: Redon, on a project, stays when the file lacks it."""
    manager = login("manager")
    _known_redon()
    factories.project(commune="Redon", advisor=manager)
    db.session.commit()
    response = _upload(client, b"code,nom\n56001,Allaire\n")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/admin/lists/communes/apply", data={"token": token})
    assert db.session.get(Commune, "35236") is not None and _count(Commune) == 2


def test_another_managers_preview_is_404(client, login, auth):
    login("manager")
    response = _upload(client, SHIPPED.encode())
    url = response.headers["Location"]
    auth.logout()
    login("manager")
    assert client.get(url).status_code == 404
