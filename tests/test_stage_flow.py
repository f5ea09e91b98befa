"""The cumulative flow's daily summary (``stage_flow_days``, incubator/stage_flow.py) stays
exactly what the history says: on a random history written through the services (moves
forward and back, pauses, closings, reopenings, back-dated as demo data is, a stage retired
and its projects reopened elsewhere), the flow read from the summary equals the flow read
from the raw stage moves and status changes, and a rebuild from the history writes the
same rows the writers kept. On the same histories, every ended stay's stored paused time
(``stage_moves.paused_days``) is the one the raw history gives."""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from incubator import stage_flow
from incubator.board import services as board
from incubator.extensions import db
from incubator.models import Project, ProjectStatus, StageFlowDay, StageMove, StatusChange
from incubator.pipeline import queries
from incubator.pipeline.queries import Period, ReviewFilters
from incubator.projects.services import submit_project

from . import factories
from .helpers import count_statements

NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)
MIGRATIONS = Path(__file__).parents[1] / "migrations" / "versions"


def _summary() -> dict[tuple[date, int], int]:
    return {(row.day, row.stage_id): row.change
            for row in db.session.scalars(select(StageFlowDay)) if row.change}


def _random_history(rng: random.Random, projects: int) -> int:
    """``projects`` projects, each with a random life of 2 to 14 events from 2025 on, in
    time order per project as the services (and the demo data's back-dating) write them.
    Returns the id of their advisor (every project's)."""
    advisor = factories.user(role="advisor")
    stages = factories.stages()
    retired = stages[3]
    for n in range(projects):
        project = factories.project(status=ProjectStatus.DRAFT.value, stage_position=None,
                                    advisor=advisor)
        when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 500),
                                                            hours=rng.randint(0, 23))
        submit_project(project, advisor, now=when)
        for _step in range(rng.randint(1, 13)):
            # Some events at midnight in Paris (23:00 UTC in winter), the points' instant.
            when += timedelta(hours=23) if rng.random() < 0.1 else timedelta(
                days=rng.randint(0, 40), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            if when >= NOW - timedelta(days=40):
                break
            live = [s for s in stages if s.active]
            if project.status == ProjectStatus.ACTIVE:
                action = rng.random()
                if action < 0.65:
                    target = rng.choice([s for s in live if s.id != project.stage_id])
                    board.move_project(project, advisor, stage_id=target.id,
                                       seen_version=project.version, comment="Retour",
                                       now=when, leave_unticked=True)
                elif action < 0.85:
                    board.pause_project(project, advisor, project.version, None, now=when)
                else:
                    board.close_project(project, advisor, project.version,
                                        rng.choice(["launched", "redirected", "abandoned"]),
                                        "Raison", now=when)
            else:  # reopened on a past day, as the service does it today
                board._change_status(project, advisor, project.version, ProjectStatus.ACTIVE,
                                     values={"outcome": None, "outcome_reason": None,
                                             "closed_at": None}, now=when)
        if n == projects // 2:  # a stage retired halfway: its projects stay in it
            retired.active = False
            db.session.flush()
    # Today, the paused or closed projects of the retired stage are reopened in the first
    # stage (a stage move recorded with the reopening), a few others too.
    db.session.flush()
    for project in db.session.scalars(select(Project)):
        if project.status in (ProjectStatus.PAUSED, ProjectStatus.CLOSED) and (
                project.stage_id == retired.id or rng.random() < 0.2):
            board.reopen_project(project, advisor, project.version)
    db.session.commit()
    return advisor.id


PERIODS = [Period(date(2025, 1, 1), date(2025, 12, 31)),
           Period(date(2026, 1, 1), date(2026, 12, 31)),
           Period(date(2025, 3, 1), date(2025, 5, 31)),
           Period(date(2024, 6, 1), date(2026, 11, 30))]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_flow_from_the_summary_is_the_flow_from_the_history(app, seed):
    advisor_id = _random_history(random.Random(seed), 30)
    now = datetime.now(UTC)  # the reopenings above happened now
    with app.test_request_context():
        active = [s for s in factories.stages() if s.active]
        for period in PERIODS:
            # The conversion's two statements (one pass without a filter, an EXISTS per
            # entry with one; every project here has this advisor) agree.
            assert queries.conversion(ReviewFilters(period), active).rows == queries.conversion(
                ReviewFilters(period, advisor_id=advisor_id), active).rows
            _unit, buckets = queries.flow_buckets(period, now)
            raw = queries.flow_counts_from_history(ReviewFilters(period, ""), buckets)
            assert queries.flow_counts_from_summary(buckets) == {
                key: count for key, count in raw.items() if count}, period
        kept = _summary()
        assert kept  # the history did change the counts
        assert stage_flow.rebuild() == len(kept)
        assert _summary() == kept


def test_the_review_reads_the_summary_without_filters_and_the_history_with_one(app):
    advisor = factories.user(role="advisor")
    factories.project(stage_position=2, advisor=advisor)
    db.session.commit()
    period = Period(date(2026, 1, 1), date(2026, 12, 31))
    with app.test_request_context(), count_statements() as statements:
        unfiltered = queries.cumulative_flow(ReviewFilters(period), [], NOW)
        filtered = queries.cumulative_flow(ReviewFilters(period, advisor_id=advisor.id), [],
                                           NOW)
    assert [row[-1] for row in unfiltered.rows][-1] == 1
    assert [row[-1] for row in filtered.rows] == [row[-1] for row in unfiltered.rows]
    assert sum("stage_flow_days" in s for s in statements) == 1
    assert sum("stage_moves" in s for s in statements) == 1


def test_a_move_writes_the_summary_in_one_statement(app):
    advisor = factories.user(role="advisor")
    project = factories.project(stage_position=1, advisor=advisor)
    db.session.commit()
    with count_statements() as statements:
        board.move_project(project, advisor, stage_id=factories.stage(2).id,
                           seen_version=project.version)
    assert sum("stage_flow_days" in s for s in statements) == 1
    with app.test_request_context():
        today = stage_flow.flow_day(datetime.now(UTC))
    assert _summary()[(today, factories.stage(2).id)] == 1
    assert _summary()[(today, factories.stage(1).id)] == -1


def test_the_rebuild_command_rewrites_the_summary(app):
    factories.project(stage_position=3)
    db.session.commit()
    kept = _summary()
    db.session.execute(StageFlowDay.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rebuild-stage-flow"])
    assert result.exit_code == 0, result.output
    assert "rebuilt: 1 row(s)" in result.output
    assert _summary() == kept


def test_a_new_time_zone_for_the_pole_rebuilds_the_summary_in_it(app, client, login):
    # Submitted at 23:30 UTC on 10 March 2026: the 11th in Paris, still the 10th in Cayenne.
    project = factories.project(status=ProjectStatus.DRAFT.value, stage_position=None)
    submit_project(project, factories.user(role="advisor"),
                   now=datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    db.session.commit()
    first = factories.stage(1).id
    assert _summary() == {(date(2026, 3, 11), first): 1}
    login("manager")
    response = client.post("/admin/pole", data={
        "name": "Pôle ESS", "short_name": "PESS", "territory": "Guyane",
        "contact_email": "contact@pole.example", "postal_address": "1 rue du Port",
        "time_zone": "America/Cayenne", "version": "0"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _summary() == {(date(2026, 3, 10), first): 1}


def _paused_days_from_the_history() -> dict[int, float]:
    """Each ended stay's days off the board, computed in Python from the raw history: the
    times from a change to paused or closed to the project's next change, clipped to the
    stay [moved_at, left_at]."""
    changes: dict[int, list[StatusChange]] = {}
    for change in db.session.scalars(
            select(StatusChange).order_by(StatusChange.changed_at, StatusChange.id)):
        changes.setdefault(change.project_id, []).append(change)
    paused = {}
    for move in db.session.scalars(select(StageMove).where(StageMove.left_at.is_not(None))):
        mine = changes.get(move.project_id, [])
        total = timedelta()
        for change, following in zip(mine, [*mine[1:], None], strict=False):
            if change.to_status not in ("paused", "closed"):
                continue
            until = min(following.changed_at if following else move.left_at, move.left_at)
            since = max(change.changed_at, move.moved_at)
            if until > since:
                total += until - since
        paused[move.id] = total / timedelta(days=1)
    return paused


def test_every_ended_stay_stores_its_paused_time_and_the_migration_backfills_it(app):
    _random_history(random.Random(3), 30)
    expected = _paused_days_from_the_history()
    assert any(days > 0 for days in expected.values())  # pauses and reopenings happened

    def stored() -> dict[int, float]:
        db.session.expire_all()
        return {move.id: move.paused_days for move in db.session.scalars(
            select(StageMove).where(StageMove.left_at.is_not(None)))}

    assert stored().keys() == expected.keys()
    assert all(stored()[i] == pytest.approx(days, abs=1e-6) for i, days in expected.items())
    assert db.session.scalar(select(func.count()).select_from(StageMove).where(
        StageMove.left_at.is_(None), StageMove.paused_days.is_not(None))) == 0
    # The migration's backfill (d3b7e9a1f6c2) writes the same values into empty columns.
    path = MIGRATIONS / "d3b7e9a1f6c2_stage_moves_paused_days.py"
    spec = importlib.util.spec_from_file_location("paused_days_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    connection = db.session.connection()
    connection.execute(text("UPDATE stage_moves SET paused_days = NULL"))
    connection.execute(text(migration.backfill(connection.dialect.name)))
    assert all(stored()[i] == pytest.approx(days, abs=1e-6) for i, days in expected.items())
