"""The staff board page (plain list by stage for now)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from incubator.extensions import db

from . import factories


@contextmanager
def count_statements():
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_board_lists_active_projects_by_stage(client, login):
    login("advisor")
    holder = factories.user(name="Anne Briand")
    factories.project(title="Café associatif", stage_position=1, holders=[holder])
    factories.project(title="Ressourcerie", stage_position=3)
    factories.project(title="Brouillon caché", status="draft")
    factories.project(title="En pause", stage_position=2, status="paused")
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    for stage in factories.stages():
        assert f'id="column-stage-{stage.id}"' in html
    accueil = html.index('id="column-stage-1"')
    emergence = html.index('id="column-stage-2"')
    assert accueil < html.index("Café associatif") < emergence
    assert html.index("Ressourcerie") > html.index('id="column-stage-3"')
    assert "Anne Briand" in html
    assert "Brouillon caché" not in html and "En pause" not in html


def test_board_costs_the_same_statements_whatever_its_size(client, login):
    login("advisor")
    advisor = factories.user(role="advisor")
    db.session.commit()

    def render() -> int:
        with count_statements() as statements:
            assert client.get("/board").status_code == 200
        return len(statements)

    for i in range(5):
        factories.project(stage_position=i % 5 + 1, advisor=advisor,
                          holders=[factories.user()], theme_id=factories.theme().id)
    db.session.commit()
    small = render()
    for i in range(60):
        factories.project(stage_position=i % 5 + 1, advisor=advisor,
                          holders=[factories.user()], theme_id=factories.theme().id)
    db.session.commit()
    assert render() == small


def test_board_is_for_staff_only(client, login):
    assert client.get("/board").status_code == 302
    login("holder")
    assert client.get("/board").status_code == 403
