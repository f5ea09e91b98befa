"""The board page (staff home)."""

from __future__ import annotations

from flask import render_template

from ..permissions import staff_required
from . import bp
from .queries import board_columns


@bp.get("")
@staff_required
def index():
    columns = board_columns()
    total = sum(len(column.projects) for column in columns)
    return render_template("board/index.html", columns=columns, total=total)
