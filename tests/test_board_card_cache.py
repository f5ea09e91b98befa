"""The board's card cache (board/cards.py): a card is rendered once per distinct content and
every change to what it shows gives a fresh card, whatever wrote it and without any
invalidation (the key is made of the values the card shows, read at each request)."""

from __future__ import annotations

import re

import pytest

from incubator.board.cards import card_cache_stats, clear_card_cache
from incubator.extensions import db

from . import factories
from .board_changes import CARD, changes, make_change, setting

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def empty_cache(app):
    app.config["BOARD_CARD_CACHE"] = 2000
    # These tests are the cards' own: the whole-columns cache above them (board/pages.py,
    # tests/test_board_revision.py) would answer a board without asking for its cards.
    app.config["BOARD_PAGE_CACHE_KB"] = 0
    clear_card_cache()
    yield
    clear_card_cache()


def card(html: str, project) -> str:
    found = re.search(rf'<li class="card[^"]*" id="project-{project.id}".*?</li>', html, re.S)
    assert found, f"no card for project {project.id}"
    return found.group(0)


def test_a_second_board_reuses_the_cards_and_gives_the_same_page(app, client, login):
    login("advisor")
    projects = [factories.project(title=f"Projet {n}", holders=[factories.user()])
                for n in range(3)]
    db.session.commit()
    app.config["BOARD_CARD_CACHE"] = 0
    uncached = client.get("/board").get_data(as_text=True)
    app.config["BOARD_CARD_CACHE"] = 2000
    first = client.get("/board").get_data(as_text=True)
    assert card_cache_stats()["misses"] == 3
    second = client.get("/board").get_data(as_text=True)
    assert card_cache_stats()["hits"] == 3
    for project in projects:
        assert card(uncached, project) == card(first, project) == card(second, project)


def test_the_htmx_board_and_the_load_more_answer_share_the_cached_cards(app, client, login):
    login("advisor")
    app.config["BOARD_COLUMN_CARDS"] = 1
    first, second = (factories.project(title=t) for t in ("Premier", "Second"))
    db.session.commit()
    page = client.get("/board").get_data(as_text=True)
    fragment = client.get("/board", headers=HTMX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert card(page, first) == card(fragment.get_data(as_text=True), first)
    assert card_cache_stats()["hits"] == 1
    position = first.position
    more = client.get(f"/board/stages/{first.stage_id}?after={position}", headers=HTMX)
    assert "Second" in card(more.get_data(as_text=True), second)
    plain = client.get(f"/board/stages/{first.stage_id}?after={position}")
    assert plain.status_code == 200
    assert card(plain.get_data(as_text=True), second) == card(more.get_data(as_text=True), second)


def test_a_move_shows_the_card_in_its_new_column_with_its_new_version(client, login):
    me = login("advisor")
    project = factories.project(title="Atelier vélo", advisor=me)
    db.session.commit()
    before = card(client.get("/board").get_data(as_text=True), project)
    html = client.get("/board").get_data(as_text=True)
    token = re.search(r'id="board-token" name="token" value="([^"]*)"', html).group(1)
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    target = factories.stage(2)
    response = client.post(f"/projects/{project.id}/move", headers={**HTMX, "X-CSRFToken": csrf},
                           data={"stage_id": target.id, "version": project.version,
                                 "token": token})
    assert response.status_code == 200
    db.session.expire_all()
    html = client.get("/board").get_data(as_text=True)
    column = html[html.index(f'id="column-stage-{target.id}"'):]
    after = card(column, project)
    assert f'data-version="{project.version}"' in after and after != before
    assert "0 days in stage" in after


@pytest.mark.parametrize("change, expected, part", changes(CARD))
def test_every_change_to_what_a_card_shows_gives_a_fresh_card(
        client, login, change, expected, part):
    people = setting(login)
    project = people["project"]
    before = card(client.get("/board").get_data(as_text=True), project)
    assert expected not in before
    make_change(change, **people)
    db.session.commit()
    after = card(client.get("/board").get_data(as_text=True), project)
    assert expected in after


def test_a_language_switch_gives_cards_in_the_other_language(client, login):
    login("advisor")
    project = factories.project(title="Jardin partagé")
    db.session.commit()
    english = card(client.get("/board", headers={"Accept-Language": "en"}).get_data(as_text=True),
                   project)
    french = card(client.get("/board", headers={"Accept-Language": "fr"}).get_data(as_text=True),
                  project)
    assert "days in stage" in english and "jours dans l’étape" in french


def test_a_filtered_board_links_its_cards_back_to_itself(client, login):
    login("advisor")
    project = factories.project(title="Ferme urbaine", commune="Redon")
    db.session.commit()
    plain = card(client.get("/board").get_data(as_text=True), project)
    filtered = card(client.get("/board?commune=redon").get_data(as_text=True), project)
    assert "commune%3Dredon" in filtered and "commune%3Dredon" not in plain


def test_parameters_the_board_ignores_neither_pad_the_cards_nor_fill_the_cache(client, login):
    """A card's move link brings back the board's filters and "show every card" only: an
    address padded with other parameters gives the same cards, from the cache."""
    login("advisor")
    project = factories.project(title="Ferme urbaine", commune="Redon")
    db.session.commit()
    first = card(client.get("/board?commune=redon&show=all").get_data(as_text=True), project)
    assert "commune%3Dredon" in first and "show%3Dall" in first
    padded = client.get(f"/board?junk={'x' * 3000}&commune=redon&show=all&utm=1")
    assert padded.status_code == 200
    assert card(padded.get_data(as_text=True), project) == first
    assert "xxxxxxxxxx" not in first and card_cache_stats()["size"] == 1


def test_another_users_view_of_the_same_card_is_the_same_card(client, auth, login):
    """Cards hold nothing personal: a manager and an advisor share them (the filters that
    depend on the viewer, such as "mine", choose cards, not their content)."""
    login("advisor")
    project = factories.project(title="Recyclerie")
    db.session.commit()
    advisor_view = card(client.get("/board").get_data(as_text=True), project)
    auth.logout()
    login("manager")
    manager_view = card(client.get("/board").get_data(as_text=True), project)
    assert advisor_view == manager_view
    assert card_cache_stats()["hits"] >= 1


def test_the_cache_keeps_at_most_its_size(app, client, login):
    login("advisor")
    app.config["BOARD_CARD_CACHE"] = 2
    for n in range(4):
        factories.project(title=f"Projet {n}")
    db.session.commit()
    assert client.get("/board").status_code == 200
    assert card_cache_stats()["size"] == 2


def test_the_cache_key_names_every_project_field_the_card_template_reads():
    """A field added to ``_card.html`` must join ``card_key`` (else a changed card could be
    served stale): this list is the key's, update both together."""
    from pathlib import Path

    template = (Path(__file__).resolve().parent.parent / "templates/board/_card.html").read_text()
    read = set(re.findall(r"\bproject\.(\w+)", template))
    in_key = {"id", "version", "title", "commune", "stage_entered_at", "last_activity_at",
              "holder_links", "holders", "theme", "advisor"}
    assert read <= in_key, read - in_key
    names = set(re.findall(r"\(\s*(\w+)\|default", template))
    assert names <= {"mentor_marks", "granted_funding", "step_counts"}, names
