"""The pipeline review (/pipeline): every figure against a hand-computed expectation on the
fixed history of tests/pipeline_history.py (a move back, a pause, a redirection, a launch in
the period's last second), filters and their errors, plain and htmx answers, who may see it,
exports parsed back, and a statement count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from incubator.extensions import db
from incubator.models import AccompanimentTime, NextStep
from incubator.pipeline import queries
from incubator.pipeline.queries import FilterError, Period, ReviewFilters

from . import factories, pipeline_history
from .helpers import count_statements
from .pipeline_history import at

HX = {"HX-Request": "true"}
NOW = at(2027, 1, 15, 10)
TODAY = date(2027, 1, 15)
YEAR_2026 = ReviewFilters(Period(date(2026, 1, 1), date(2026, 12, 31)), "")


@pytest.fixture
def history(app):
    built = pipeline_history.build()
    a, c, d = (built.projects[k] for k in "ACD")
    a.last_activity_at = at(2027, 1, 1)
    db.session.add_all([
        NextStep(project_id=a.id, title="Relancer la mairie", due_on=date(2027, 1, 10),
                 assignee_id=built.lea.id),
        NextStep(project_id=c.id, title="Clos, ne compte pas", due_on=date(2026, 5, 1),
                 assignee_id=built.lea.id),
        AccompanimentTime(project_id=a.id, advisor_id=built.yann.id, minutes=90,
                          spent_on=date(2026, 5, 5)),
        AccompanimentTime(project_id=a.id, advisor_id=built.yann.id, minutes=30,
                          spent_on=date(2025, 12, 31)),
        AccompanimentTime(project_id=d.id, advisor_id=built.lea.id, minutes=45,
                          spent_on=date(2026, 12, 31)),
    ])
    db.session.commit()
    return built


def _review(app, filters=YEAR_2026):
    with app.test_request_context():
        return queries.review(filters, NOW, TODAY)


def _rows(review, key):
    return [tuple(str(v) if hasattr(v, "href") else v for v in row)
            for row in review.table(key).rows]


def test_projects_per_stage_now_counts_active_and_paused_projects(app, history):
    table = _review(app).table("stages_now")
    assert [row[1:] for row in table.rows] == [(0, 0), (0, 0), (2, 0), (0, 0), (0, 0)]
    assert table.footer[1:] == (2, 0)
