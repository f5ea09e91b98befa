"""What the project page reads: each feature's section (notes, next steps, documents) and the
timeline merged from the history of all of them.

The page sits above the features it shows: they never import it, and each gives its section's
data (``section``) and its own timeline entries (``timeline_entries``). One place lists them,
so the page and its timeline never forget one.
"""

from __future__ import annotations

from typing import Any

from ..accompaniment import queries as accompaniment
from ..checklists import queries as checklists
from ..cohorts import queries as cohorts
from ..committees import queries as committees
from ..documents import queries as documents
from ..groups import queries as groups
from ..mentoring import queries as mentoring
from ..mentors import queries as mentors
from ..models import Project, User
from ..next_steps import queries as next_steps
from ..notes import queries as notes
from ..projects import queries as projects
from ..referrals import queries as referrals
from ..supports import queries as supports
from ..timeline import TimelineEntry

FEATURES = (notes, next_steps, documents, mentoring, supports, committees, referrals, groups,
            accompaniment, checklists, cohorts)


def sections(user: User, project: Project) -> dict[str, Any]:
    """Template context of every feature's section, as ``user`` may see it."""
    context: dict[str, Any] = {}
    for feature in FEATURES:
        context.update(feature.section(user, project))
    context.update(mentors.section(user, project))  # a mentor's own link to the project
    return context


def timeline(user: User, project: Project) -> list[TimelineEntry]:
    """What happened to the project, newest first, read from the history tables and
    filtered for ``user`` (holders never see internal notes or documents)."""
    entries = projects.timeline_entries(project)
    for feature in FEATURES:
        entries.extend(feature.timeline_entries(user, project))
    return sorted(entries, key=lambda e: (e.at, e.kind, e.item.id), reverse=True)
