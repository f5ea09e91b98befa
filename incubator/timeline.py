"""The timeline entry: one thing that happened to a project, as its history lists it.

A shared type, below the features: each feature (notes, next steps, documents…) turns its
own history into entries, and the project page (``project_page.queries.timeline``) merges
and sorts them. A feature never redraws the timeline itself: its answers trigger the
``project-changed`` event and the page's timeline reloads (``projects.history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class TimelineEntry:
    kind: str  # "move", "status", "event", or a feature's own ("note", "document"…)
    at: datetime
    item: Any
    template: str | None = None  # how a feature's entry is shown (a fragment)
