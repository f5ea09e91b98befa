"""Code the review found unused stays removed (issue 8): nothing starts relying on it again."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from sqlalchemy import inspect as inspect_database

from incubator import permissions
from incubator.board import services
from incubator.board.queries import Column
from incubator.extensions import db
from incubator.models import Stage


@pytest.mark.parametrize("owner, name", [
    (Column, "over_limit"),
    (services.MoveResult, "backwards"),
    (permissions, "can_submit"),
    (Stage, "exit_checklist"),
])
def test_removed_names_stay_removed(owner, name):
    assert not hasattr(owner, name)
    if dataclasses.is_dataclass(owner):
        assert name not in {field.name for field in dataclasses.fields(owner)}


def test_move_project_has_no_switch_for_the_backwards_comment():
    """A backwards move always needs a comment; no caller may turn that off."""
    assert "require_comment_backwards" not in inspect.signature(services.move_project).parameters


def test_stages_table_has_no_exit_checklist_column(app):
    columns = {column["name"] for column in inspect_database(db.engine).get_columns("stages")}
    assert "wip_limit" in columns
    assert "exit_checklist" not in columns
