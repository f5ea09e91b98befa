"""The blank forms of the project page's sections, each built by its feature's ``forms`` as
the user may use it (None where they may not)."""

from __future__ import annotations

from typing import Any

from ..accompaniment import forms as accompaniment
from ..documents import forms as documents
from ..mentoring import forms as mentoring
from ..models import Project, User
from ..next_steps import forms as next_steps
from ..notes import forms as notes
from ..projects import forms as projects
from ..supports import forms as supports

FEATURES = (projects, notes, next_steps, documents, mentoring, supports, accompaniment)


def page_forms(user: User, project: Project) -> dict[str, Any]:
    """Template context: every section's form."""
    context: dict[str, Any] = {}
    for feature in FEATURES:
        context.update(feature.section_forms(user, project))
    return context
