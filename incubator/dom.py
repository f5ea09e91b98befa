"""Stable DOM ids for fragments: one helper, so a swap target never drifts from its source."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=64)
def _kebab(class_name: str) -> str:
    """``NextStep`` → ``next-step`` (cached: the board calls it for every card)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", class_name).lower()


def dom_id(obj: object, prefix: str | None = None, *, id: int | None = None) -> str:
    """``dom_id(project)`` → ``project-42``; ``dom_id(stage, "column")`` → ``column-stage-3``.
    A model class with ``id`` names a row not loaded: ``dom_id(Stage, "cards", id=3)``."""
    if isinstance(obj, type):
        name, identity = _kebab(obj.__name__), id
    else:
        name, identity = _kebab(type(obj).__name__), getattr(obj, "id", None)
    base = f"{name}-{identity}" if identity is not None else f"{name}-new"
    return f"{prefix}-{base}" if prefix else base
