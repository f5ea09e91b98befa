"""Stable DOM ids for fragments: one helper, so a swap target never drifts from its source."""

from __future__ import annotations

import re


def dom_id(obj: object, prefix: str | None = None) -> str:
    """``dom_id(project)`` → ``project-42``; ``dom_id(stage, "column")`` → ``column-stage-3``."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "-", type(obj).__name__).lower()
    identity = getattr(obj, "id", None)
    base = f"{name}-{identity}" if identity is not None else f"{name}-new"
    return f"{prefix}-{base}" if prefix else base
