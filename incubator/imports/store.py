"""Uploaded tables kept between the preview and the confirmation: never in the cookie
session, never in the organisations tables.

The upload is read once; its table (header and text rows) is written as JSON to a file of
the ``IMPORT_FOLDER`` (the instance folder's ``imports/`` by default), named by a random
token (``secrets.token_urlsafe``) and tied to the user who sent it: another user asking for
the token gets nothing. A file lives ``IMPORT_KEEP_HOURS`` (default 24); older ones are
deleted at the next upload. The confirmation deletes its file once the import is committed.
With several app servers, ``INCUBATOR_IMPORT_FOLDER`` must be a folder they share.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .reading import Table

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass
class Upload:
    """A kept upload: who sent it, its file name, and its table."""

    token: str
    user_id: int
    filename: str
    table: Table
    uploaded_at: float


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_FOLDER")
                  or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_seconds() -> float:
    return float(current_app.config.get("IMPORT_KEEP_HOURS", 24)) * 3600


def _path(token: str) -> Path | None:
    return _folder() / f"{token}.json" if _TOKEN.match(token or "") else None


def keep(user_id: int, filename: str, table: Table) -> str:
    """Write ``table`` for ``user_id``'s preview; returns its token."""
    forget_old()
    token = secrets.token_urlsafe(24)
    path = _path(token)
    assert path is not None
    content = {"user_id": user_id, "filename": filename, "uploaded_at": time.time(),
               "header": table.header, "rows": table.rows, "format": table.file_format,
               "encoding": table.encoding, "delimiter": table.delimiter}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
    return token


def load(token: str, user_id: int) -> Upload | None:
    """The upload ``token`` of ``user_id`` (None: unknown, another user's, or expired)."""
    path = _path(token)
    if path is None or not path.is_file():
        return None
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if content.get("user_id") != user_id:
        return None
    if time.time() - content["uploaded_at"] > _keep_seconds():
        return None
    table = Table(header=content["header"], rows=[(n, cells) for n, cells in content["rows"]],
                  file_format=content["format"], encoding=content["encoding"],
                  delimiter=content["delimiter"])
    return Upload(token, user_id, content["filename"], table, content["uploaded_at"])


def discard(token: str) -> None:
    """Delete the upload ``token`` (imported, or abandoned)."""
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def forget_old() -> None:
    """Delete the uploads kept longer than IMPORT_KEEP_HOURS."""
    limit = time.time() - _keep_seconds()
    for path in _folder().glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
