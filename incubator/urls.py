"""Where to send people: role homes and safe ``next`` targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

from .models import User


def home_url(user: User) -> str:
    """Holders land on their projects, staff on the board, mentors on their projects."""
    if user.is_staff:
        return url_for("board.index")
    return url_for("projects.mine")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    # Browsers treat backslashes like slashes and ignore tabs and newlines in URLs.
    if "\\" in target or any(ch in target for ch in "\t\r\n") or not target.startswith("/"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target
