"""The board: columns, cards, filters, load more, statement counts, polling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incubator.extensions import db
from incubator.models import utcnow
from incubator.notes.services import create_note

from . import factories
from .helpers import count_statements


def test_board_has_one_column_per_active_stage_in_order(client, login):
    login("advisor")
    factories.stage(4).active = False
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    ids = [s.id for s in factories.stages() if s.active]
    places = [html.index(f'id="column-stage-{i}"') for i in ids]
    assert places == sorted(places)
    assert f'id="column-stage-{factories.stage(4).id}"' not in html


def test_cards_show_what_an_advisor_needs(client, login):
    login("advisor")
    advisor = factories.user(role="advisor", name="Yann Le Goff")
    holder = factories.user(name="Anne Briand")
    factories.project(title="Café associatif", stage_position=2, holders=[holder],
                      advisor=advisor, theme_id=factories.theme().id, commune="Peillac",
                      days_in_stage=12)
    factories.project(title="Brouillon caché", status="draft")
    factories.project(title="En pause", stage_position=2, status="paused")
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    column = html[html.index('id="column-stage-2"'):html.index('id="column-stage-3"')]
    for text in ("Café associatif", "Anne Briand", "Culture", "Peillac", ">YL<",
                 "12 days in stage", "1 project"):
        assert text in column, text
    assert "Brouillon caché" not in html and "En pause" not in html


def test_stalled_projects_are_marked(app, client, login):
    me = login("advisor")
    quiet = factories.project(title="Silencieux", days_in_stage=50)
    busy = factories.project(title="Actif", days_in_stage=50)
    two_days_ago = utcnow() - timedelta(days=2)
    create_note(busy, me, kind="call", happened_on=two_days_ago.date(), body="Appel",
                visibility="internal", now=two_days_ago)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    assert f'class="card stalled" id="project-{quiet.id}"' in html
    assert f'class="card" id="project-{busy.id}"' in html
    app.config["STALLED_DAYS"] = 60
    html = client.get("/board").get_data(as_text=True)
    assert "card stalled" not in html


def test_wip_limit_shows_when_a_column_is_over_it(client, login):
    login("advisor")
    stage = factories.stage(1)
    stage.wip_limit = 2
    for _ in range(3):
        factories.project(stage_position=1)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    head = html[html.index(f'id="head-stage-{stage.id}"') - 60:]
    assert "over-limit" in head[:200]
    assert "limit 2" in html and "Over the limit" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("q=recyc", ["Recyclerie"], ["Épicerie"]),
        ("q=briand", ["Épicerie"], ["Recyclerie"]),  # holder name
        ("q=vrac", ["Épicerie"], ["Recyclerie"]),  # pitch
        ("commune=pipriac", ["Recyclerie"], ["Épicerie"]),
        ("mine=1", ["Épicerie"], ["Recyclerie"]),
    ],
)
def test_filters_narrow_the_board(client, login, query, shown, hidden):
    me = login("advisor")
    factories.project(title="Épicerie", pitch="Du vrac local", advisor=me,
                      holders=[factories.user(name="Anne Briand")], commune="Redon")
    factories.project(title="Recyclerie", commune="Pipriac", stage_position=3)
    db.session.commit()
    html = client.get(f"/board?{query}").get_data(as_text=True)
    for title in shown:
        assert title in html
    for title in hidden:
        assert f">{title}<" not in html


def test_filters_by_advisor_and_theme(client, login):
    login("manager")
    advisor = factories.user(role="advisor")
    culture = factories.theme("Culture")
    factories.project(title="Festival", advisor=advisor, theme_id=culture.id)
    factories.project(title="Garage")
    db.session.commit()
    html = client.get(f"/board?advisor={advisor.id}&theme={culture.id}").get_data(as_text=True)
    assert "Festival" in html and ">Garage<" not in html
    assert "1 active project of 2 matches the filters" in html


def test_filtering_with_htmx_returns_only_the_board(client, login):
    login("advisor")
    factories.project(title="Recyclerie")
    db.session.commit()
    response = client.get("/board?q=recyc&advisor=&theme=&commune=", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="board" id="board"')
    assert "<html" not in html and 'id="board-summary" hx-swap-oob="true"' in html
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Push-Url"] == "/board?q=recyc"
    full = client.get("/board?q=recyc")
    assert "<html" in full.get_data(as_text=True) and 'value="recyc"' in full.get_data(
        as_text=True)


def test_free_text_is_matched_literally(client, login):
    login("advisor")
    factories.project(title="Cent pour cent local")
    factories.project(title="100% bio")
    db.session.commit()
    html = client.get("/board?q=%25").get_data(as_text=True)
    assert "100% bio" in html and "Cent pour cent" not in html


def test_a_column_shows_its_first_cards_and_loads_more(app, client, login):
    login("advisor")
    app.config["BOARD_COLUMN_CARDS"] = 3
    app.config["BOARD_MORE_CARDS"] = 2
    projects = [factories.project(title=f"Projet n°{i}") for i in range(6)]
    db.session.commit()
    stage_id = factories.stage(1).id
    html = client.get("/board").get_data(as_text=True)
    assert all(f"Projet n°{i}<" in html for i in range(3))
    assert "Projet n°3<" not in html
    assert f'name="last-{stage_id}" value="{projects[2].position}"' in html
    more = client.get(f"/board/stages/{stage_id}?after={projects[2].position}", htmx=True)
    text = more.get_data(as_text=True)
    assert "Projet n°3<" in text and "Projet n°4<" in text and "Projet n°5<" not in text
    assert f'id="more-stage-{stage_id}" hx-swap-oob="true"' in text
    last = client.get(f"/board/stages/{stage_id}?after={projects[4].position}", htmx=True)
    assert "Projet n°5<" in last.get_data(as_text=True)
    assert f'name="last-{stage_id}" value="all"' in last.get_data(as_text=True)
    page = client.get(f"/board/stages/{stage_id}?after={projects[2].position}")
    assert "<html" in page.get_data(as_text=True)  # works without JavaScript too


def test_show_every_card_puts_every_column_on_screen_in_one_request(app, client, login):
    login("advisor")
    app.config["BOARD_COLUMN_CARDS"] = 2
    projects = [factories.project(title=f"Projet n°{i}") for i in range(5)]
    db.session.commit()
    stage_id = factories.stage(1).id
    html = client.get("/board?q=projet").get_data(as_text=True)
    assert "Projet n°2<" not in html
    link = '/board?show=all&amp;q=projet'
    assert f'<a href="{link}" hx-get="{link}" hx-target="#board"' in html
    # Without JavaScript: the page with every card, and no link any more.
    page = client.get("/board?show=all&q=projet").get_data(as_text=True)
    assert "<html" in page and all(f"Projet n°{i}<" in page for i in range(5))
    assert f'<a href="{link}"' not in page
    assert f'name="last-{stage_id}" value="all"' in page
    # htmx: the board, the link gone out of band, the address kept, the focus on the first card.
    response = client.get("/board?show=all&q=projet", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert all(f"Projet n°{i}<" in fragment for i in range(5))
    assert 'id="board-show-all" hx-swap-oob="true"' in fragment
    assert f'<a href="{link}"' not in fragment
    assert response.headers["HX-Push-Url"] == "/board?show=all&q=projet"
    first = min(projects, key=lambda p: p.position)
    assert f'"id": "project-{first.id}"' in response.headers["HX-Trigger-After-Settle"]
    assert "HX-Request" in response.headers["Vary"]


def test_show_every_card_stops_at_its_bound_and_the_column_loads_the_rest(app, client, login):
    login("advisor")
    app.config["BOARD_ALL_CARDS"] = 3
    projects = [factories.project(title=f"Projet n°{i}") for i in range(4)]
    db.session.commit()
    stage_id = factories.stage(1).id
    html = client.get("/board?show=all").get_data(as_text=True)
    assert "Projet n°2<" in html and "Projet n°3<" not in html
    assert f'name="last-{stage_id}" value="{projects[2].position}"' in html


def test_the_poll_keeps_every_card_of_a_column_it_refreshes_after_show_every_card(
        app, client, login):
    login("advisor")
    app.config["BOARD_COLUMN_CARDS"] = 1
    projects = [factories.project(title=f"Projet n°{i}") for i in range(3)]
    db.session.commit()
    html = client.get("/board?show=all").get_data(as_text=True)
    assert 'id="board-show" name="show" value="all"' in html  # sent back by the poll
    token = html.split('id="board-token" name="token" value="')[1].split('"')[0]
    projects[1].title = "Renommé"
    projects[1].version += 1
    db.session.commit()
    text = client.get(f"/board/changes?token={token}&show=all", htmx=True).get_data(
        as_text=True)
    assert "Projet n°0<" in text and "Renommé<" in text and "Projet n°2<" in text
    plain = client.get(f"/board/changes?token={token}", htmx=True).get_data(as_text=True)
    assert "Projet n°0<" in plain and "Projet n°2<" not in plain  # the first cards only
    assert 'name="show"' not in client.get("/board").get_data(as_text=True)


def test_filter_lists_are_kept_per_process_while_the_revision_holds(
        app, client, login, monkeypatch):
    """BOARD_FILTER_CHOICES_SECONDS (0 in the tests' settings): while the board revision is
    unchanged and within that time, a board page reads no filter list again (5 statements
    fewer) and shows the same options; a commit that writes what they read (a new commune
    here) gives them on the very next request; past the bound they are read again even
    without a write (one made outside SQLAlchemy would be seen then)."""
    from incubator.board import queries

    app.config["BOARD_PAGE_CACHE_KB"] = 0  # every page rendered: the lists' own cache seen
    login("manager")
    yann = factories.user(role="advisor", name="Yann Le Goff")
    culture = factories.theme("Culture")
    factories.project(title="Festival", advisor=yann, theme_id=culture.id, commune="Peillac")
    db.session.commit()
    clock = [1000.0]
    monkeypatch.setattr(queries.time, "monotonic", lambda: clock[0])

    def board(url: str = "/board") -> tuple[str, int]:
        with count_statements() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True), len(statements)

    client.get("/board")  # the session's "last seen" write, not counted below
    uncached_html, uncached = board()
    app.config["BOARD_FILTER_CHOICES_SECONDS"] = 30
    first_html, first = board()
    kept_html, kept = board()
    assert first == uncached and kept == uncached - 5

    def form(html: str) -> str:  # the page's CSRF token changes at each response
        return html[html.index('<form id="board-filters"'):html.index("</form>")]

    assert form(kept_html) == form(first_html) == form(uncached_html)
    assert f'<option value="{yann.id}" >Yann Le Goff</option>' in kept_html
    assert f'<option value="{culture.id}" >Culture</option>' in kept_html
    assert '<option value="Peillac" >Peillac</option>' in kept_html

    factories.project(title="Recyclerie", commune="Pipriac")
    db.session.commit()
    html, count = board()  # a new revision: the lists read again at once
    assert '<option value="Pipriac" >Pipriac</option>' in html and "Recyclerie" in html
    assert count == uncached
    html, count = board("/board?commune=pipriac")
    assert "Recyclerie" in html and ">Festival<" not in html and count == uncached - 5
    clock[0] += 29
    assert board()[1] == uncached - 5  # nothing written: still kept
    clock[0] += 2
    html, count = board()  # past the bound: read again
    assert '<option value="Pipriac" >Pipriac</option>' in html and count == uncached


def test_filter_lists_read_the_same_options_as_the_models(app, client, login):
    """``read_filter_choices`` gives detached options: the same ids, names and English
    names as the rows they come from, in the same order, in both languages."""
    from incubator.board import queries
    from incubator.cohorts.queries import open_cohorts
    from incubator.reference import staff_members, themes

    login("manager")
    factories.user(role="advisor", name="Éloïse Durand")
    factories.theme("Culture")
    db.session.commit()
    with app.test_request_context():
        choices = queries.read_filter_choices()
        assert [(c.id, c.name) for c in choices["advisors"]] == [
            (u.id, u.name) for u in staff_members()]
        assert [(c.id, c.name, c.name_en) for c in choices["themes"]] == [
            (t.id, t.name, t.name_en) for t in themes()]
        assert [(c.id, c.name, c.name_en) for c in choices["cohorts"]] == [
            (c.id, c.name, c.name_en) for c in open_cohorts()]
    english = client.get("/board", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">Éloïse Durand</option>" in english


def test_board_costs_the_same_statements_at_10_and_500_projects(client, login):
    login("advisor")
    advisor = factories.user(role="advisor")
    db.session.commit()

    def render(url: str = "/board") -> int:
        # A first request takes the session's once-a-minute "last seen" write (adding 490
        # projects can take over a minute on a loaded machine), so the counted one never does.
        assert client.get(url).status_code == 200
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def add(n: int) -> None:
        holders = [factories.user() for _ in range(5)]
        for i in range(n):
            factories.project(stage_position=i % 5 + 1, advisor=advisor,
                              holders=[holders[i % 5]], theme_id=factories.theme().id)
        db.session.commit()

    add(10)
    small = render(), render("/board?q=projet&mine=1")
    add(490)
    assert (render(), render("/board?q=projet&mine=1")) == small


def test_poll_answers_204_when_nothing_changed(client, login):
    login("advisor")
    factories.project()
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    token = html.split('id="board-token" name="token" value="')[1].split('"')[0]
    response = client.get(f"/board/changes?token={token}", htmx=True)
    assert response.status_code == 204 and response.data == b""


def test_poll_sends_only_the_changed_columns(client, login):
    login("advisor")
    moving = factories.project(title="Qui bouge")
    factories.project(title="Immobile", stage_position=3)
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    token = html.split('id="board-token" name="token" value="')[1].split('"')[0]
    moving.stage_id = factories.stage(2).id
    moving.version += 1
    db.session.commit()
    response = client.get(f"/board/changes?token={token}", htmx=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="column-stage-{factories.stage(1).id}"' in text
    assert f'id="column-stage-{factories.stage(2).id}"' in text
    assert f'id="column-stage-{factories.stage(3).id}"' not in text
    assert 'id="board-token" name="token"' in text and 'hx-swap-oob="true"' in text
    new_token = text.split('id="board-token" name="token" value="')[1].split('"')[0]
    assert client.get(f"/board/changes?token={new_token}", htmx=True).status_code == 204


def test_poll_asks_for_a_reload_when_stages_changed(client, login):
    login("advisor")
    html = client.get("/board").get_data(as_text=True)
    token = html.split('id="board-token" name="token" value="')[1].split('"')[0]
    factories.stage(5).active = False
    db.session.commit()
    response = client.get(f"/board/changes?token={token}", htmx=True)
    assert response.headers.get("HX-Refresh") == "true"


def test_poll_asks_for_a_reload_when_stages_were_reordered_or_renamed(client, login):
    login("advisor")
    html = client.get("/board").get_data(as_text=True)
    token = html.split('id="board-token" name="token" value="')[1].split('"')[0]
    layout = html.split('id="board-layout" name="layout" value="')[1].split('"')[0]
    url = f"/board/changes?token={token}&layout={layout}"
    assert client.get(url, htmx=True).status_code == 204
    first, second = factories.stage(1), factories.stage(2)
    first.position, second.position = second.position, first.position  # a reorder
    db.session.commit()
    assert client.get(url, htmx=True).headers.get("HX-Refresh") == "true"
    html = client.get("/board").get_data(as_text=True)
    layout = html.split('id="board-layout" name="layout" value="')[1].split('"')[0]
    url = f"/board/changes?token={token}&layout={layout}"
    assert client.get(url, htmx=True).status_code == 204
    third = factories.stage(3)
    third.name, third.version = "Étude", third.version + 1  # a rename
    db.session.commit()
    assert client.get(url, htmx=True).headers.get("HX-Refresh") == "true"


def test_board_is_for_staff_only(client, login):
    assert client.get("/board").status_code == 302
    login("holder")
    for url in ("/board", "/board/changes", "/board/closed", "/board/stages/1"):
        assert client.get(url).status_code == 403, url


def test_the_search_finds_its_words_in_any_order_in_the_text_and_the_holders_names(client,
                                                                                    login):
    login("advisor")
    marion = factories.user(name="Marion Guérin", email="marion@exemple.fr")
    factories.project(title="Épicerie solidaire", holders=[marion])
    factories.project(title="Épicerie de la gare")
    factories.project(title="Recyclerie")
    db.session.commit()
    for q, found in [("Guérin Marion", {"Épicerie solidaire"}),
                     ("marion guerin", {"Épicerie solidaire"}),
                     ("épicerie GUÉRIN", {"Épicerie solidaire"}),
                     ("epicerie", {"Épicerie solidaire", "Épicerie de la gare"}),
                     ("gare de la épicerie", {"Épicerie de la gare"}),
                     ("guerin recyclerie", set())]:
        for htmx in (False, True):
            html = client.get("/board", query_string={"q": q}, htmx=htmx).get_data(as_text=True)
            shown = {t for t in ("Épicerie solidaire", "Épicerie de la gare", "Recyclerie")
                     if f"{t}<" in html}
            assert shown == found, (q, htmx, shown)


def test_a_search_of_many_words_keeps_its_longest():
    from incubator.board.queries import SEARCH_WORDS, search_words

    assert search_words("") == [] and search_words("  ") == []
    assert search_words("Guérin Marion") == ["guerin", "marion"]
    assert search_words("la ferme de Kerlann") == ["ferme", "kerlann"]
    assert search_words("la") == ["la"]
    assert search_words("Marion marion MARION") == ["marion"]
    assert SEARCH_WORDS == 4
    assert search_words("épicerie solidaire du quartier de la gare à Redon") == [
        "epicerie", "solidaire", "quartier", "redon"]  # "gare", the shortest, left out
    assert search_words("aaa bbb ccc ddd eee fff") == ["aaa", "bbb", "ccc", "ddd"]


def test_a_long_search_still_finds_the_project(client, login):
    login("advisor")
    factories.project(title="Épicerie solidaire du quartier de la gare", commune="Redon")
    factories.project(title="Épicerie de la gare")
    db.session.commit()
    for htmx in (False, True):
        html = client.get("/board", htmx=htmx, query_string={
            "q": "épicerie solidaire du quartier de la gare à Redon"}).get_data(as_text=True)
        assert "Épicerie solidaire du quartier de la gare<" in html
        assert "Épicerie de la gare<" not in html


def test_choice_options_mark_exactly_the_chosen_id_and_escape_names(app):
    """``pages.choice_options``: option 12 chosen never marks 123 or 112; names escaped; the
    same list object gives the same rendering, an equal new list a new one."""
    from incubator.board import pages
    from incubator.board.queries import Choice

    choices = [Choice(112, "Cent douze"), Choice(12, "Douze <b>&</b>"), Choice(123, "Cent")]
    with app.test_request_context("/board"):
        html = str(pages.choice_options(choices, 12))
        assert html == ('<option value="112">Cent douze</option>'
                        '<option value="12" selected>Douze &lt;b&gt;&amp;&lt;/b&gt;</option>'
                        '<option value="123">Cent</option>')
        assert "selected" not in pages.choice_options(choices, None)
        assert "selected" not in pages.choice_options(choices, 99)  # not offered: none
        assert pages._options[0] is choices
        pages.choice_options(list(choices), 12)
        assert pages._options[0] is not choices
