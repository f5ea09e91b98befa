"""The project page (GET /projects/<id>, endpoint ``projects.show``).

It is composed here, above the features it shows, and served under the projects blueprint so
that its address and endpoint stay those of a project (``create_app`` imports this module
before registering that blueprint). Its timeline reloads itself (``history``) on the
``project-changed`` event that every change on the page triggers.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from ..dom import dom_id
from ..htmx import back_to_project, is_htmx, render
from ..permissions import can_edit_description, visible_project_or_404
from ..projects import bp
from ..reference import active_stages, early_stage_ids
from .forms import page_forms
from .queries import sections, timeline


@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    project = visible_project_or_404(project_id)
    return render_template(
        "projects/show.html",
        project=project,
        history=timeline(current_user, project),
        stages=active_stages(),
        can_edit=can_edit_description(current_user, project, early_stage_ids()),
        **page_forms(current_user, project),
        **sections(current_user, project),
    )


@bp.get("/<int:project_id>/history")
@login_required
def history(project_id: int):
    """The project's history (htmx: reloaded on "project-changed" after every change; a
    plain request goes to the page's timeline)."""
    project = visible_project_or_404(project_id)
    if not is_htmx():
        return back_to_project(project, dom_id(project, "timeline"))
    return render("projects/_timeline.html", project=project,
                  history=timeline(current_user, project))
