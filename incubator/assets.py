"""Static file URLs carry their content's version: ``/static/css/app.css?v=3f2a9c1d04be``.

A changed file gets a new URL, so caches may keep a versioned one for a year: nginx serves
``/static/…?v=…`` as ``immutable`` (deploy/nginx/incubator.conf; docs/deployment.md). The
version is the first 12 hex digits of the file's SHA-256. A file that does not exist gets
no version (Flask then answers 404).

In production each process computes a file's version once, at the first URL built for it,
and keeps it: no ``os.stat`` per URL per request (a board page builds a dozen). Files
change only with a deployment, which restarts the processes. With the debugger on or
``TEMPLATES_AUTO_RELOAD`` (development), each URL checks the file's modification time and
size, so an edited file gets a new version at once (its hash is still computed once per
content).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask
from werkzeug.security import safe_join

_versions: dict[tuple[str, int, int], str] = {}  # (path, mtime, size) → version
_settled: dict[tuple[str, str], str | None] = {}  # (folder, filename) → version, production


def static_version(folder: str, filename: str) -> str | None:
    """The version of ``filename`` under ``folder`` (12 hex digits), or None when it is not
    a readable file inside ``folder``."""
    path = safe_join(folder, filename)
    if path is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (path, status.st_mtime_ns, status.st_size)
    version = _versions.get(key)
    if version is None:
        try:
            with open(path, "rb") as handle:
                version = hashlib.sha256(handle.read()).hexdigest()[:12]
        except OSError:
            return None
        _versions[key] = version
    return version


def settled_version(folder: str, filename: str) -> str | None:
    """``static_version``, computed once per process for each file (see the module's
    docstring: files do not change under a running production process)."""
    key = (folder, filename)
    try:
        return _settled[key]
    except KeyError:
        version = _settled[key] = static_version(folder, filename)
        return version


def register_assets(app: Flask) -> None:
    """``url_for('static', filename=…)`` adds ``v=<version>``: rechecked at each URL in
    development (``app.debug`` or ``TEMPLATES_AUTO_RELOAD``), once per process otherwise."""

    @app.url_defaults
    def _static_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            recheck = app.debug or app.config.get("TEMPLATES_AUTO_RELOAD")
            version = (static_version if recheck else settled_version)(
                app.static_folder, values["filename"])
            if version is not None:
                values["v"] = version
