"""bench/stress.py's checks of what a 5xx answer said: the run fails when a move answered
"saved" is not in the database or one answered "not saved" is (issue 15: "no false message").
The sentences are those the app renders (errors.OUTCOME in French, the last-resort page)."""


import pytest
from flask import Flask

from bench.stress import Move, Record, answer_outcome, check, outcome_phrases, snapshot
from incubator import database, errors
from incubator.board.services import move_project
from incubator.extensions import db

from . import factories
from .conftest import make_app


@pytest.fixture(scope="module")
def phrases() -> dict[str, str]:
    return outcome_phrases()


@pytest.mark.parametrize("state", [database.SAVED, database.NOT_SAVED, database.UNKNOWN])
@pytest.mark.parametrize("htmx", [False, True])
def test_each_error_answer_is_read_as_what_it_says(phrases, monkeypatch, state, htmx):
    app = make_app("sqlite://")
    monkeypatch.setattr(database, "outcome", lambda: state)
    headers = {"Accept-Language": "fr", **({"HX-Request": "true"} if htmx else {})}
    with app.test_request_context("/projects/1/move", method="POST", headers=headers):
        for status in (500, 503):
            page = errors.render_error(status).get_data(as_text=True)
            assert answer_outcome(page, phrases) == state
        assert answer_outcome(errors.last_resort(RuntimeError()).get_data(as_text=True),
                              phrases) == database.UNKNOWN


def test_an_answer_that_says_nothing_of_the_change_is_read_as_none(phrases):
    assert answer_outcome("<p>Internal Server Error</p>", phrases) is None


def _run(app: Flask, said: str, applied: bool) -> list[str]:
    """One move answered 500 with ``said``; ``applied``: it reached the database."""
    advisor = factories.user("advisor")
    project = factories.project(advisor=advisor, stage_position=1)
    db.session.commit()
    project_id = project.id
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = snapshot(url)
    target = factories.stage(2).id
    if applied:
        move_project(project, advisor, stage_id=target, seen_version=project.version,
                     comment="stress 0-1")
        db.session.commit()
    db.session.remove()
    record = Record()
    record.moves.append(Move(project_id, "stress 0-1", target, status=500, said=said))
    problems, _outcomes = check(url, before, record)
    return problems


@pytest.mark.parametrize(("said", "applied"), [
    (database.SAVED, True), (database.NOT_SAVED, False),
    (database.UNKNOWN, True), (database.UNKNOWN, False)])
def test_a_true_error_message_passes(file_app, said, applied):
    assert _run(file_app, said, applied) == []


def test_a_move_said_not_saved_but_found_saved_fails_the_run(file_app):
    problems = _run(file_app, database.NOT_SAVED, applied=True)
    assert any('"not saved", yet its history row is there' in p for p in problems)


def test_a_move_said_saved_but_not_found_fails_the_run(file_app):
    problems = _run(file_app, database.SAVED, applied=False)
    assert any('version rose by 0, 1 moves accepted (of which 1 answered 5xx "saved")' in p
               for p in problems)


def test_a_5xx_move_that_says_nothing_of_its_fate_fails_the_run(file_app):
    problems = _run(file_app, None, applied=False)
    assert any("without saying whether it was saved" in p for p in problems)
