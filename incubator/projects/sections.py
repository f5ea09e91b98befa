"""The project page is assembled from the sections of several features (notes, next steps,
documents). Each feature gives the data its section shows and its timeline entries; the
project page includes its templates. One place lists them, so the page and its timeline
never forget one."""

from __future__ import annotations

from typing import Any

from ..models import Project, User


def page_sections(user: User, project: Project) -> dict[str, Any]:
    from ..documents.queries import section as documents
    from ..next_steps.queries import section as next_steps
    from ..notes.queries import section as notes

    context: dict[str, Any] = {}
    for section in (notes, next_steps, documents):
        context.update(section(user, project))
    return context


def timeline_entries(user: User, project: Project) -> list:
    from ..documents.queries import timeline_entries as documents
    from ..next_steps.queries import timeline_entries as next_steps
    from ..notes.queries import timeline_entries as notes

    entries: list = []
    for source in (notes, next_steps, documents):
        entries.extend(source(user, project))
    return entries
