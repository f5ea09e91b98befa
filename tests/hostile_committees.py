"""The committees' part of the hostile data set (tests/hostile_data.py): a sitting, a
criterion, a seat and a review written through the real forms with hostile text in every
field, so every committee page and the project page's « Comités » section are checked."""

from __future__ import annotations

import re

from sqlalchemy import select

from incubator.extensions import db
from incubator.models import CommitteeCriterion, CommitteeReview, CommitteeSitting


def build_committees(data, mark, keep, advisor, manager, project: int) -> None:
    """Through the forms: a criterion (manager, on the lists' page), a sitting, a seat, the project on the
    agenda, a shared review and a refused one (422 keeps the input)."""
    page = manager.get("/admin/lists/criteria").get_data(as_text=True)
    keep("criterion added", manager.post("/admin/lists/criteria", follow_redirects=True, data={
        "name": mark("criterion name", 120), "name_en": mark("criterion English name", 120),
        "description": mark("criterion description"),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', page)[1]}))
    keep("sitting created", advisor.post("/committees/new", follow_redirects=True, data={
        "held_on": "2026-03-12", "name": mark("sitting name", 160),
        "place": mark("sitting place", 200), "notes": mark("sitting notes")}))
    sitting = db.session.scalars(select(CommitteeSitting.id).order_by(
        CommitteeSitting.id.desc())).first()
    data.ids["sitting"] = sitting
    keep("seat added", advisor.post(f"/committees/{sitting}/seats", follow_redirects=True,
                                    data={"name": mark("seat name", 120),
                                          "role": mark("seat role", 120)}))
    keep("put on the agenda", advisor.post(f"/committees/{sitting}/agenda",
                                           follow_redirects=True,
                                           data={"project_id": str(project)}))
    review = db.session.scalar(select(CommitteeReview).where(
        CommitteeReview.sitting_id == sitting))
    data.ids["review"] = review.id
    criteria = db.session.scalars(select(CommitteeCriterion.id).where(
        CommitteeCriterion.active)).all()
    form = {"decision": "go_conditions", "version": str(review.version),
            "conditions": mark("review conditions"), "comments": mark("review comments"),
            "shared": "y", **{f"score_{c}": "3" for c in criteria}}
    keep("refused review", advisor.post(f"/committees/{sitting}/reviews/{review.id}", data={
        **form, f"score_{criteria[0]}": mark("refused score", 40, shown=False)}), 422)
    keep("review saved", advisor.post(f"/committees/{sitting}/reviews/{review.id}",
                                      follow_redirects=True, data=form))
