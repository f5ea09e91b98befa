"""Static file URLs carry their content's version: ``/static/css/app.css?v=3f2a9c1d04be``.

A changed file gets a new URL, so caches may keep a versioned one for a year: nginx serves
``/static/…?v=…`` as ``immutable`` (deploy/nginx/incubator.conf; docs/deployment.md). The
version is the first 12 hex digits of the file's SHA-256. In production each process
computes a file's version once, at the first URL built for it, and keeps it (per app, at most
``KEPT_VERSIONS`` names): no ``os.stat`` per static URL per request (a page names 5 to 7
static files: docs/performance.md, "Per-request costs"). Files change only with a deployment,
which restarts the processes. With the debugger on or ``TEMPLATES_AUTO_RELOAD``
(development), each URL looks at the file again and hashes it again when its modification
time or size changed, so an edited file gets a new version at once. A file that does not
exist gets no version (Flask then answers 404).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask
from werkzeug.security import safe_join

_versions: dict[tuple[str, int, int], str] = {}


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


# Versions kept per process outside debug mode: at most this many file names (they come
# from templates, but a name built from a request must not grow the dict without end).
KEPT_VERSIONS = 1024


def register_assets(app: Flask) -> None:
    """``url_for('static', filename=…)`` adds ``v=<version>``: looked at again at each URL
    in development (``app.debug`` or ``TEMPLATES_AUTO_RELOAD``), once per process otherwise."""
    kept: dict[str, str | None] = {}

    @app.url_defaults
    def _static_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            filename = values["filename"]
            if app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"):
                version = static_version(app.static_folder, filename)
            elif filename in kept:
                version = kept[filename]
            else:
                version = static_version(app.static_folder, filename)
                if len(kept) < KEPT_VERSIONS:
                    kept[filename] = version
            if version is not None:
                values["v"] = version
