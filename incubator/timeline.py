"""The timeline entry: one thing that happened to a project, as its history lists it.

A shared type, below the features: each feature (notes, next steps, documents…) turns its
own history into entries, and the project page (``project_page.queries.timeline``) merges
and sorts them. A feature whose answer shows the whole timeline asks ``project_timeline``,
which the project page registers when the app starts: no feature imports the page above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app

from .models import Project, User


@dataclass
class TimelineEntry:
    kind: str  # "move", "status", "event", or a feature's own ("note", "document"…)
    at: datetime
    item: Any
    template: str | None = None  # how a feature's entry is shown (a fragment)


def project_timeline(user: User, project: Project) -> list[TimelineEntry]:
    """The whole timeline of ``project`` as ``user`` may see it, newest first (built by the
    project page, see ``project_page.routes.add_project_page``)."""
    return current_app.extensions["project_timeline"](user, project)
