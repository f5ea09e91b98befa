"""Routes of the notes feature."""

from . import bp  # noqa: F401
