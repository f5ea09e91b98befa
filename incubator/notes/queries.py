"""Reads for the project page's notes section. (Scaffold: filled in by its feature.)"""

from __future__ import annotations

from typing import Any

from ..models import Project, User


def section(user: User, project: Project) -> dict[str, Any]:
    """What the section shows on the project page (template context)."""
    return {}


def timeline_entries(user: User, project: Project) -> list:
    """This feature's entries of the project timeline (projects.queries.TimelineEntry)."""
    return []
