"""The exit checklists' part of the hostile data set (tests/hostile_data.py): two criteria
of the project's stage named with hostile text in French and English (manager's page), a
refused one, a tick (advisor, htmx) and the question a move leaving the other unticked asks,
so the checklist page, the project page's checklist and timeline and the board's question
are checked."""

from __future__ import annotations

from sqlalchemy import select

from incubator.extensions import db
from incubator.models import Project, StageCriterion


def build_checklists(data, mark, keep, advisor, manager, project: int) -> None:
    stage = db.session.get(Project, project).stage_id
    url = f"/admin/stages/{stage}/checklist"
    for what in ("exit criterion", "unticked exit criterion"):
        keep(f"{what} added", manager.post(url, follow_redirects=True, data={
            "name": mark(f"{what} name", 200), "name_en": mark(f"{what} English name", 200)}))
    keep("refused exit criterion", manager.post(url, data={
        "name": " ", "name_en": mark("refused exit criterion English name", 200,
                                     shown=False)}), 422)
    first = db.session.scalars(select(StageCriterion.id).where(
        StageCriterion.stage_id == stage).order_by(StageCriterion.position)).first()
    data.ids["stage_criterion"] = first
    keep("exit criterion ticked", advisor.post(f"/projects/{project}/checklist/{first}",
                                               htmx=True, data={"ticked": "1", "version": "0"}))
    db.session.expire_all()
    version = db.session.get(Project, project).version
    keep("move question", advisor.post(f"/projects/{project}/move", htmx=True, data={
        "stage_id": data.ids["stage2"], "version": version}))
    keep("move question page", advisor.post(f"/projects/{project}/move", data={
        "stage_id": data.ids["stage2"], "version": version}))
