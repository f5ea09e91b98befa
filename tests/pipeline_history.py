"""A small fixed history for the pipeline review's tests (tests/test_pipeline.py): every
stage move (through stage_history.record_stage_move, as the services do) and status
change written with its instant, in time order like the services, so each figure can be computed by hand. The period is the year 2026 in the pole's time zone (Europe/Paris):
from 2025-12-31 23:00 UTC to 2026-12-31 23:00 UTC.

- A "Recul" (advisor Yann, theme Culture, Redon): submitted 10 Jan 2026 (Accueil), Émergence
  20 Jan, back to Accueil 30 Jan, Émergence 9 Feb, Étude 1 Mar. Active, in Étude.
- B "Pause" (advisor Yann, Allaire): submitted 1 Feb 2026, Émergence 11 Feb, paused 21 Feb,
  reopened 3 Mar, Étude 13 Mar. Active in Étude.
- C "Orienté" (advisor Léa, Redon): submitted 5 Mar 2026, redirected (closed) 20 Mar.
- D "Lancé" (advisor Léa, Redon): submitted 1 Jan 2025 12:00 UTC (2025), Émergence 1 Feb
  2025, Étude 1 Apr 2025, Lancement 1 Jun 2026, closed as launched on 31 Dec 2026 at
  22:59:59 UTC (23:59:59 in Paris: the period's last second).
- E "Abandon 2025" (no advisor, Redon): submitted 10 Mar 2025, abandoned 20 Mar 2025 (the
  year before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from incubator.extensions import db
from incubator.models import Project, User
from incubator.stage_history import record_stage_move, record_status_change

from . import factories


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class History:
    yann: User
    lea: User
    projects: dict[str, Project]
    stages: list  # the five default stages, in order


def _project(title: str, advisor: User | None, moves: list[tuple[int | None, int, datetime]],
             changes: list[tuple[str, str, str | None, datetime]], stages, **fields) -> Project:
    last_stage = moves[-1][1]
    status = changes[-1][1] if changes else "active"
    project = Project(title=title, status=status, stage_id=stages[last_stage - 1].id,
                      advisor_id=advisor.id if advisor else None, created_at=moves[0][2],
                      submitted_at=moves[0][2], last_activity_at=moves[-1][2],
                      stage_entered_at=moves[-1][2], **fields)
    if status == "closed":
        project.closed_at = changes[-1][3]
        project.outcome = changes[-1][2]
    db.session.add(project)
    db.session.flush()
    # In time order, as the services write: a move stores the paused time of the stay it
    # ends from the status changes already written (stage_history.record_stage_move).
    events = sorted([(move[2], 0, move) for move in moves]
                    + [(change[3], 1, change) for change in changes],
                    key=lambda event: event[:2])
    for _when, kind, event in events:
        if kind == 0:
            from_position, to_position, when = event
            # Off the board at that instant (a test's move while paused): no flow count
            # changes.
            before = [to for _from, to, _outcome, changed in changes if changed <= when]
            record_stage_move(project.id,
                              stages[from_position - 1].id if from_position else None,
                              stages[to_position - 1].id, moved_at=when,
                              on_board=not before or before[-1] == "active")
        else:
            from_status, to_status, outcome, when = event
            record_status_change(project.id, from_status, to_status, outcome=outcome,
                                 changed_at=when)
    return project


def build() -> History:
    stages = factories.stages()
    yann = factories.user(role="advisor", name="Yann Le Goff")
    lea = factories.user(role="advisor", name="Léa Morel")
    culture = factories.theme("Culture")
    projects = {
        "A": _project("Recul", yann, [
            (None, 1, at(2026, 1, 10)), (1, 2, at(2026, 1, 20)), (2, 1, at(2026, 1, 30)),
            (1, 2, at(2026, 2, 9)), (2, 3, at(2026, 3, 1))], [], stages,
            theme_id=culture.id, commune="Redon"),
        "B": _project("Pause", yann, [
            (None, 1, at(2026, 2, 1)), (1, 2, at(2026, 2, 11)), (2, 3, at(2026, 3, 13))], [
            ("active", "paused", None, at(2026, 2, 21)),
            ("paused", "active", None, at(2026, 3, 3))], stages, commune="Allaire"),
        "C": _project("Orienté", lea, [(None, 1, at(2026, 3, 5))], [
            ("active", "closed", "redirected", at(2026, 3, 20))], stages, commune="Redon"),
        "D": _project("Lancé", lea, [
            (None, 1, at(2025, 1, 1, 12)), (1, 2, at(2025, 2, 1)), (2, 3, at(2025, 4, 1)),
            (3, 4, at(2026, 6, 1))], [
            ("active", "closed", "launched", at(2026, 12, 31, 22, 59, 59))], stages,
            commune="Redon"),
        "E": _project("Abandon 2025", None, [(None, 1, at(2025, 3, 10))], [
            ("active", "closed", "abandoned", at(2025, 3, 20))], stages, commune="Redon"),
    }
    db.session.commit()
    return History(yann, lea, projects, stages)
