"""Where to send people: role homes, safe ``next`` targets and absolute links.

An absolute link (in an e-mail, an export, a notification) is always built on the configured
``BASE_URL`` (``INCUBATOR_BASE_URL``), never on the request's Host header: a request sent with
``Host: evil.example`` must not make the app mail anyone a link to evil.example.
"""

from __future__ import annotations

from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, request, session, url_for

from .htmx import is_htmx
from .models import User
from .permissions import can_use_board, has_mentorships_home


def home_url(user: User) -> str:
    """Holders land on their projects, staff on the board, mentors on "My mentorships"."""
    if can_use_board(user):
        return url_for("board.index")
    if has_mentorships_home(user):
        return url_for("mentors.mine")
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


def absolute_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on ``BASE_URL``, the same inside a request and outside
    one (a CLI command such as ``worker``). ``BASE_URL`` may carry a path prefix
    (``https://host/pole``): the app's paths go after it. ``_anchor`` works as in url_for."""
    base = urlsplit(current_app.config["BASE_URL"])
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{url_quote(anchor, safe='')}" if anchor else url


def _path_of(url: str | None) -> str | None:
    """The local path and query of a full URL (HX-Current-URL, Referer), if safe."""
    if not url:
        return None
    parts = urlsplit(url)
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def referrer_path() -> str | None:
    """The local path and query of the page this request was sent from (Referer), if safe."""
    return _path_of(request.referrer)


def login_required_answer() -> Response:
    """What a protected route answers without a valid session (Flask-Login's handler).

    htmx: 401 with ``HX-Redirect`` to the login page, never a redirect that htmx would follow
    and swap the login page into a fragment. ``next`` is the page the user was on (htmx says
    which in HX-Current-URL), so logging in brings them back to it. Plain requests: a
    redirect to the login page, as Flask-Login does."""
    flash(str(current_app.login_manager.login_message), "info")  # type: ignore[attr-defined]
    page = request.full_path.rstrip("?") if request.method == "GET" else None
    if is_htmx():
        page = _path_of(request.headers.get("HX-Current-URL")) or page
    elif page is None:  # a form: back to the page it was on, if the browser says which
        page = _path_of(request.referrer) or request.path
    target = url_for("auth.login", next=safe_next(page))
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
    else:
        response = redirect(target)
    if session.get("_user_id") is not None:
        # The cookie names a login that is over (idle, expired, ended from another device,
        # account deactivated): the browser drops the pages it kept for their 304s (the
        # board, ``private, no-cache``), so Back does not show them to the next person. The
        # board's poll meets this within seconds of the end.
        response.headers["Clear-Site-Data"] = '"cache"'
    return response
