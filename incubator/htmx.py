"""The few answers every route gives, for htmx and for plain requests alike.

- ``page_or_fragment``: a GET (or a refused form) answers the whole page to a plain request
  and its fragment to htmx, with ``Vary: HX-Request``;
- ``done``: after a successful change, htmx gets the changed fragment(s), the one message
  fragment out of band (``_message.html`` into ``#messages``) and the events the page listens
  for; a plain request gets the message flashed and a 303 to where the user goes next;
- ``hx_redirect``: ``HX-Redirect`` for htmx, 303 otherwise (never a 302 htmx would follow);
- ``back_to_project``: the project page (at an anchor), the same way for every feature;
- ``project_or_abort``: the guard of every route under ``/projects/<id>/…`` (404, then 403).

After a change (``done``), the keyboard focus goes to a named element (``focus_on``: the
``focus-target`` event, after the swap settles) and the message is shown beside it
(static/js/app.js moves it there from ``#messages``), so the user is never left on
``<body>`` with the confirmation out of view.

A 409 or 422 is a fragment too (``render``): htmx swaps them (``htmx-config`` in base.html),
so a refused form comes back with the user's input and its errors.
(See django-htmx for the conventions.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .permissions import visible_project_or_404

#: The event every change of a project triggers: its history (timeline) reloads on it.
PROJECT_CHANGED = "project-changed"
#: A change of the project's own row (its version went from ``from`` to ``to``): the page's
#: other forms made from ``from`` follow (static/js/app.js), so the user's next change is not
#: refused as a conflict with their own.
PROJECT_VERSION = "project-version"
#: Where the keyboard focus goes after an htmx change (an element id), fired once the swap
#: has settled; the message marked ``data-near`` is shown beside it (static/js/app.js).
FOCUS_TARGET = "focus-target"
_FIRST_ID = re.compile(r'\bid="([^"]+)"')


def is_htmx() -> bool:
    """True for a request made by htmx (and not a history restore, which wants a full page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def render(template: str, status: int = 200, /, **context: Any) -> Response:
    """``template`` rendered with ``status`` and ``Vary: HX-Request``."""
    return vary_on_htmx(make_response(render_template(template, **context), status))


def page_or_fragment(page: str, fragment: str, status: int = 200, /, **context: Any) -> Response:
    """The whole ``page`` for a plain request, its ``fragment`` for htmx (``inline`` tells the
    templates which one they are in)."""
    inline = is_htmx()
    return render(fragment if inline else page, status, inline=inline, **context)


def message_fragment(message: str, category: str = "success", near: str | None = None) -> str:
    """The one message fragment, out of band into the page's message area (``near``: the id
    of the element the focus goes to; the message is then shown beside it)."""
    return render_template("_message.html", message=message, category=category, oob=True,
                           near=near)


def first_id(html: str) -> str | None:
    """The id of the first element of ``html`` (a fragment's root)."""
    found = _FIRST_ID.search(html)
    return found.group(1) if found else None


def focus_on(response: Response, target: str) -> Response:
    """After the swap settles, the keyboard focus goes to the element whose id is ``target``
    (made focusable if it is not) and the message marked ``data-near`` is shown beside it."""
    return hx_trigger(response, FOCUS_TARGET, {"id": target}, when="settle")


def done(message: str, to: str, fragment: str | None = None, /, *, oob: tuple[str, ...] = (),
         category: str = "success", events: tuple[str, ...] = (), status: int = 200,
         focus: str | None = None, **context: Any) -> Response:
    """The answer to a change that worked.

    htmx: ``fragment`` (what the request targets) and the ``oob`` fragments (rendered with
    ``oob=True``: they carry ``hx-swap-oob``) with ``context``, the message out of band, and
    ``events`` in ``HX-Trigger``; the focus goes to the element ``focus`` (an id; by default
    the root of ``fragment``, the changed part) with the message beside it.
    Plain: ``message`` flashed and a 303 to ``to``."""
    if not is_htmx():
        flash(message, category)
        return vary_on_htmx(redirect(to, code=303))
    parts = [render_template(fragment, **context)] if fragment else []
    parts += [render_template(name, **{**context, "oob": True}) for name in oob]
    target = focus or (first_id(parts[0]) if parts else None) or "main"
    parts.append(message_fragment(message, category, target))
    response = vary_on_htmx(make_response("".join(parts), status))
    for event in events:
        hx_trigger(response, event)
    return focus_on(response, target)


def project_done(message: str, project: Any, fragment: str | None = None, /, *,
                 anchor: str | None = None, **context: Any) -> Response:
    """``done`` for a change of a project: back to its page, and its history refreshed
    (``focus`` as for ``done``)."""
    context["project"] = project  # the fragments' context may name it too
    return done(message, project_url(project, anchor), fragment, events=(PROJECT_CHANGED,),
                **context)


def project_url(project: Any, anchor: str | None = None) -> str:
    return url_for("projects.show", project_id=project.id, _anchor=anchor)


def project_or_abort(project_id: int, allowed: Callable[[Any, Any], bool]) -> Any:
    """The project of a route under its page (``/projects/<id>/supports``…), once the
    current user passed its guard: 404 when it does not exist or they may not see it (the
    same answer either way, so ids cannot be probed), 403 when ``allowed(current_user,
    project)`` refuses. ``allowed`` is a rule of ``permissions.py``; the rules stay there,
    only their use is shared."""
    project = visible_project_or_404(project_id)
    if not allowed(current_user, project):
        abort(403)
    return project


def back_to_project(project: Any, anchor: str | None = None) -> Response:
    """The project page (at ``anchor``): 303, or ``HX-Redirect`` for htmx."""
    return hx_redirect(project_url(project, anchor))


def hx_redirect(location: str) -> Response:
    """Send the browser to ``location``: ``HX-Redirect`` for htmx, 303 otherwise."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return vary_on_htmx(response)
    return vary_on_htmx(redirect(location, code=303))


def version_moved(response: Response, project: Any, seen: int | None) -> Response:
    """Tell an htmx page that ``project`` went from version ``seen`` to the one after by the
    user's own change (``PROJECT_VERSION``); nothing for a plain request or no change."""
    if is_htmx() and seen is not None and project.version == seen + 1:
        hx_trigger(response, PROJECT_VERSION,
                   {"project": project.id, "from": seen, "to": seen + 1})
    return response


_TRIGGER_HEADERS = {"received": "HX-Trigger", "settle": "HX-Trigger-After-Settle"}


def hx_trigger(response: Response, event: str, detail: Any = None,
               when: str = "received") -> Response:
    """Add an event to the ``HX-Trigger`` header (``when="settle"``: to
    ``HX-Trigger-After-Settle``), merging with those already there."""
    header = _TRIGGER_HEADERS[when]
    events: dict[str, Any] = {}
    if existing := response.headers.get(header):
        try:
            events = json.loads(existing)
        except ValueError:
            events = {name.strip(): None for name in existing.split(",")}
    events[event] = detail
    response.headers[header] = json.dumps(events)
    return response
