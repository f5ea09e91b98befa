"""Reads for the board: active projects grouped by stage, in column order."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Project, ProjectStatus, Stage
from ..projects.queries import active_stages, with_card_details


@dataclass
class Column:
    stage: Stage
    projects: list[Project] = field(default_factory=list)


def board_columns() -> list[Column]:
    """One column per active stage with its active projects in position order.

    Two statements for the stages and projects (plus one for holders), whatever the count.
    """
    columns = {stage.id: Column(stage) for stage in active_stages()}
    statement = with_card_details(
        select(Project)
        .where(Project.status == ProjectStatus.ACTIVE.value, Project.stage_id.in_(columns))
        .order_by(Project.position, Project.id)
    )
    for project in db.session.scalars(statement).unique():
        columns[project.stage_id].projects.append(project)
    return list(columns.values())
