"""Small helpers for answering htmx requests (see django-htmx for the conventions)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, redirect, request


def is_htmx() -> bool:
    """True for a request made by htmx (and not a history restore, which wants a full page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def hx_redirect(location: str) -> Response:
    """Send the browser to ``location``: ``HX-Redirect`` for htmx, 303 otherwise."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def hx_trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Add an event to the ``HX-Trigger`` header, merging with those already there."""
    events: dict[str, Any] = {}
    if existing := response.headers.get("HX-Trigger"):
        try:
            events = json.loads(existing)
        except ValueError:
            events = {name.strip(): None for name in existing.split(",")}
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
