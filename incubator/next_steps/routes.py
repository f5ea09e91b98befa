"""Routes of the next steps feature."""

from . import bp  # noqa: F401
