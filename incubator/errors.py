"""Error pages: a full page for a browser, a fragment for htmx.

For htmx requests the fragment is retargeted to the page's message area (``#messages``), so a
failed click tells the user what went wrong without replacing the part they clicked in.
"""

from __future__ import annotations

from typing import NoReturn
from urllib.parse import urlsplit

from flask import Flask, current_app, g, make_response, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from .extensions import db
from .htmx import hx_trigger, is_htmx, vary_on_htmx
from .security_log import record, request_id
from .urls import login_required_answer

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Reload the page and try again.")),
    403: (_l("Access denied"), _l("Your account does not give access to this page. If you think it should, ask the pole's team.")),
    404: (_l("Page not found"), _l("This page does not exist, or you do not have access to it.")),
    405: (_l("Method not allowed"), _l("This action cannot be done this way. Go back and use the buttons of the page.")),
    409: (_l("Conflict"), _l("Someone changed this in the meantime. Reload the page to see the current state, then try again.")),
    413: (_l("Too large"), _l("What you sent is larger than allowed. Try a smaller file.")),
    422: (_l("Invalid input"), _l("Some of what you entered is not valid. Correct it and try again.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side. What you did may or may not have been recorded: reload the page to check before trying again. If it persists, tell the pole's team.")),
}
CSRF_MESSAGE = _l("Your session has expired or the form is out of date. Reload the page and try again.")
# For htmx: the page is still there with what the user typed; the answer carries a fresh token
# (the "csrf-token" event, app.js puts it in the page), so sending again works.
LOGGED_OUT_MESSAGE = _l("You are logged out (maybe in another tab). What you typed is kept: log in again in another tab, then send it again.")
STALE_PAGE_MESSAGE = _l("This page was loaded before your session changed (a new login, maybe in another tab). What you typed is kept: send it again.")


def render_error(status: int, detail: str | None = None, *, resend: bool = False,
                 login_link: str | None = None):
    """The error page, or for htmx its fragment in the page's message area (the part the user
    worked in, a form with their input, stays as it was); ``resend`` offers to send again."""
    title, message = MESSAGES.get(status, MESSAGES[500])
    context = {"status": status, "title": title, "message": detail or message,
               "incident": request_id() if status >= 500 else None, "resend": resend,
               "login_link": login_link}
    if is_htmx():
        response = vary_on_htmx(
            make_response(render_template("errors/_error.html", **context), status)
        )
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        # A refused request changed nothing on the page but its message: the address bar
        # stays too, even if the element asked htmx to push its URL (hx-push-url).
        response.headers["HX-Push-Url"] = "false"
        return response
    return vary_on_htmx(make_response(render_template("errors/error.html", **context), status))


def fail(status: int, message: str) -> NoReturn:
    """Abort with ``status`` and a message meant for the user (shown on the error page)."""
    error = default_exceptions[status](description=message)
    error.show_description = True  # type: ignore[attr-defined]
    raise error


def _http_error(error: HTTPException):
    status = error.code or 500
    if status not in MESSAGES:
        return error
    # Our own abort(…, description) messages are shown; Werkzeug's defaults are not.
    detail = error.description if getattr(error, "show_description", False) else None
    if status == 403:
        record("access.denied")
    response = render_error(status, detail)
    # Flask-Limiter's own headers are off (they would ride on every answer); its breach
    # callback (extensions.py) left the real wait.
    if status == 429 and (retry := g.get("rate_limit_retry_after")
                          or getattr(error, "retry_after", None)):
        response.headers["Retry-After"] = str(retry)
    return response


def _csrf_error(error: CSRFError):
    # No session at all (it expired, so its CSRF token went with it): what the user needs is
    # the login page, as for any protected route (htmx: 401 + HX-Redirect), not a 400.
    if not current_user.is_authenticated and "csrf_token" not in session:
        return login_required_answer()
    if is_htmx():
        # Logged out or in again since the page was loaded: its token belongs to the old
        # session. The page keeps what was typed; the answer brings the current token.
        if current_user.is_authenticated:
            response = render_error(400, str(STALE_PAGE_MESSAGE), resend=True)
        else:
            response = render_error(400, str(LOGGED_OUT_MESSAGE), resend=True,
                                    login_link=url_for("auth.login"))
        return hx_trigger(response, "csrf-token", {"token": generate_csrf()})
    if current_user.is_authenticated and request.method == "POST" and _sent_from_here():
        return _resend_page()
    return render_error(400, str(CSRF_MESSAGE))


def _sent_from_here() -> bool:
    """The refused form was sent by one of our own pages (``Sec-Fetch-Site: same-origin``, or
    an ``Origin`` equal to that of ``BASE_URL`` where the browser sends no fetch metadata). A form posted
    from another site never gets the resend page: its button would turn a forged request
    into one the user confirms."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    base = urlsplit(current_app.config["BASE_URL"])
    return origin is not None and origin.rstrip("/") == f"{base.scheme}://{base.netloc}"


_NOT_SHOWN = {"version", "form_token", "next", "view"}  # technical fields, kept but not shown


def _resend_page():
    """Without JavaScript, after a new login (maybe in another tab) the page's form carried
    the old session's token: a page shows what was sent and offers to send it again with
    the current token (files cannot be kept: the user chooses them again). 400."""
    fields = [(name, value) for name, values in request.form.lists() if name != "csrf_token"
              for value in values]
    # Shown: the free text (a sentence, several lines); codes of choices and dates are only
    # kept, like every field, in the form sent again.
    shown = [value for name, value in fields
             if name not in _NOT_SHOWN and any(space in value.strip() for space in " \n")]
    context = {"status": 400, "title": MESSAGES[400][0], "message": str(STALE_PAGE_MESSAGE),
               "fields": fields, "shown": shown, "action": request.path,
               "had_files": bool(request.files)}
    return vary_on_htmx(make_response(render_template("errors/resend.html", **context), 400))


def _server_error(error: InternalServerError):
    db.session.rollback()
    return render_error(500)


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
