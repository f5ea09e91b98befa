"""Exit checklists (issue 13): a stage's criteria, edited by managers at
``/admin/stages/<id>/checklist``, ticked per project on its page, asked about when a project
leaves a stage with criteria unticked (docs/checklists.md)."""

from flask import Blueprint

bp = Blueprint("checklists", __name__)
