"""Error pages: a full page for a browser, a fragment for htmx.

For htmx requests the fragment is retargeted to the page's message area (``#messages``), so a
failed click tells the user what went wrong without replacing the part they clicked in.

A 500 or 503 says what is known of the user's change (``database.outcome``): saved before
the failure, not saved, or unknown (then: reload to check). A database out of reach gets a
503 with ``Retry-After`` whose page and fragment are rendered without the database (no
user, no pole settings, no bell: ``_unavailable``). If an error handler fails in turn, a
static page (``LAST_RESORT``) answers instead of the server's bare "Internal Server Error".
"""

from __future__ import annotations

import functools
from typing import NoReturn
from urllib.parse import urlsplit

from flask import Flask, current_app, g, make_response, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import escape
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from . import database
from .extensions import db
from .htmx import hx_trigger, is_htmx, vary_on_htmx
from .security_log import loggable_path, record, request_id
from .urls import login_required_answer, referrer_path

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Reload the page and try again.")),
    403: (_l("Access denied"), _l("Your account does not give access to this page. If you think it should, ask the pole's team.")),
    404: (_l("Page not found"), _l("This page does not exist, or you do not have access to it.")),
    405: (_l("Method not allowed"), _l("This action cannot be done this way. Go back and use the buttons of the page.")),
    409: (_l("Conflict"), _l("Someone changed this in the meantime. Reload the page to see the current state, then try again.")),
    413: (_l("Too large"), _l("What you sent is larger than allowed. Try a smaller file.")),
    422: (_l("Invalid input"), _l("Some of what you entered is not valid. Correct it and try again.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side.")),
    503: (_l("Service unavailable"), _l("The database is not available at the moment (stopped, restarting or overloaded).")),
}
# What became of the user's change, after the status's own sentence (database.outcome);
# a read (GET, HEAD) changes nothing the user asked for, so it is told to reload.
OUTCOME = {
    database.SAVED: _l("Your change was saved before the error: reload the page to see it, and do not send it again."),
    database.NOT_SAVED: _l("Nothing was saved: you can send it again in a moment."),
    database.UNKNOWN: _l("The error happened while your change was being saved, so it may or may not have been recorded: reload the page to check before trying again."),
    "read": _l("The page could not be shown: reload it to try again."),
}
TAIL = {
    500: _l("If it persists, tell the pole's team."),
    503: _l("It should be back within a few moments; if not, tell the pole's team."),
}
RETRY_AFTER_SECONDS = 10  # a PostgreSQL restart takes a few seconds; pre-ping then reconnects
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
               "login_link": login_link, "reload": False, "reload_url": reload_url()}
    if status >= 500 and detail is None:
        context["message"], context["reload"] = server_error_message(status)
    if is_htmx():
        return _to_messages(make_response(render_template("errors/_error.html", **context),
                                          status))
    return vary_on_htmx(make_response(render_template("errors/error.html", **context), status))


def _to_messages(response):
    """An htmx error answer: into the page's message area, nothing else touched."""
    response = vary_on_htmx(response)
    response.headers["HX-Retarget"] = "#messages"
    response.headers["HX-Reswap"] = "innerHTML"
    # A refused request changed nothing on the page but its message: the address bar
    # stays too, even if the element asked htmx to push its URL (hx-push-url).
    response.headers["HX-Push-Url"] = "false"
    return response


def reload_url() -> str:
    """Where "Reload the page" leads: this address for a GET; after a form was sent, the
    page it was sent from (a same-site Referer), else the home page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return referrer_path() or url_for("main.index")


def server_error_message(status: int) -> tuple[str, bool]:
    """The message of a 500 or 503 (``status``): what happened, what became of the user's
    change (``database.outcome``; a read is told to reload), what to do. Also whether to
    offer a "reload" link (the change's fate must be checked on the page). Plain text."""
    # A read's own bookkeeping (a notification marked seen) is not a change the user made.
    state = "read" if request.method in ("GET", "HEAD", "OPTIONS") else database.outcome()
    main = MESSAGES[status if status in (500, 503) else 500][1]
    tail = TAIL[status if status in (500, 503) else 500]
    return " ".join([str(main), str(OUTCOME[state]), str(tail)]), state != database.NOT_SAVED


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
    if database.is_unavailable(error):  # raised in an after_request hook, or re-raised
        return _unavailable(error)
    _rollback()
    return render_error(500)


def _database_error(error: Exception):
    """A database error that reached Flask: 503 when the database is out of reach;
    anything else goes on to Flask's handling (the 500 page; raised in tests)."""
    if not database.is_unavailable(error):
        raise error
    return _unavailable(error)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 — a dead connection: the pool drops it anyway
        current_app.logger.warning("Rollback failed after an error (request %s)", request_id())


def _unavailable(error: BaseException):
    """503 + ``Retry-After``, a page or an htmx fragment, rendered without the database:
    the template is rendered by Jinja itself (no context processors: they read the pole's
    settings, the user, the bell), the language comes from what the request carries
    (``i18n.request_locale``: session cookie, Accept-Language), the pole's name from the
    configuration."""
    g.database_unavailable = True  # i18n and pole read nothing from the database now
    reason = next((cause for cause in database._causes(error)
                   if isinstance(cause, (DBAPIError, PoolTimeout))), error)
    current_app.logger.error(
        "Database unavailable (request %s, %s %s, outcome %s): %s: %s", request_id(),
        request.method, loggable_path(), database.outcome(), type(reason).__name__,
        str(getattr(reason, "orig", None) or reason).splitlines()[0][:300])
    _rollback()
    # The locale: from the session cookie or Accept-Language (i18n.select_locale skips the
    # account now), or the one this request already settled on.
    message, reload = server_error_message(503)
    context = {
        "status": 503, "title": str(MESSAGES[503][0]), "message": message,
        "incident": request_id(), "reload": reload, "resend": False, "login_link": None,
        "reload_url": reload_url(),
        "pole_name": current_app.config.get("POLE_NAME") or "Incubateur",
        "pole_short_name": current_app.config.get("POLE_SHORT_NAME") or "",
        "current_locale": str(get_locale() or "fr"),
    }
    name = "errors/_error.html" if is_htmx() else "errors/unavailable.html"
    html = current_app.jinja_env.get_template(name).render(**context)
    response = make_response(html, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return _to_messages(response) if is_htmx() else vary_on_htmx(response)


# The answer when an error handler itself fails: no template, no translation catalogue, no
# database; both languages. It cannot know what became of the change, so it says so.
LAST_RESORT = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Erreur · Error</title></head><body>
<h1>Une erreur est survenue</h1>
<p>Nous ne savons pas si ce que vous avez fait a été enregistré : rechargez la page pour le
vérifier avant de recommencer. Si cela continue, prévenez l’équipe du pôle.</p>
<h2 lang="en">An error occurred</h2>
<p lang="en">We cannot tell whether what you did was saved: reload the page to check before
trying again. If it persists, tell the pole’s team.</p>
<p>Référence · Reference : <code>{incident}</code></p>
<p><a href="{reload}">Recharger · Reload</a></p>
</body></html>
"""
LAST_RESORT_FRAGMENT = (
    '<div class="flash flash-error error-fragment" role="alert" data-status="{status}">'
    "<strong>Erreur {status}</strong> — Nous ne savons pas si ce que vous avez fait a été "
    "enregistré : rechargez la page pour le vérifier. "
    '<span lang="en">(We cannot tell whether it was saved: reload the page to check.)</span> '
    '<span class="incident">Référence : {incident}</span></div>'
)


def last_resort(error: BaseException):
    """The static answer (500, or 503 with ``Retry-After`` when the database is out of
    reach) when the normal error answer failed. Needs nothing but the request."""
    status = 503 if database.is_unavailable(error) else 500
    incident = escape(request_id() or "-")
    if is_htmx():
        response = _to_messages(make_response(
            LAST_RESORT_FRAGMENT.format(status=status, incident=incident), status))
    else:
        response = make_response(
            LAST_RESORT.format(incident=incident, reload=escape(reload_url())), status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _guarded(handler):
    """``handler`` that, if it raises (its template needs the database that just failed,
    a bug in a page), answers with ``last_resort`` and logs why, instead of letting the
    exception reach the server (whose answer is a bare "Internal Server Error")."""
    @functools.wraps(handler)
    def guarded(error):
        try:
            return handler(error)
        except Exception as failure:
            if failure is error:  # handed on on purpose (_database_error)
                raise
            current_app.logger.exception("The error answer failed (request %s)", request_id())
            return last_resort(error)
    return guarded


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _guarded(_csrf_error))
    app.register_error_handler(InternalServerError, _guarded(_server_error))
    app.register_error_handler(HTTPException, _guarded(_http_error))
    app.register_error_handler(DBAPIError, _guarded(_database_error))
    app.register_error_handler(PoolTimeout, _guarded(_database_error))
    # Last of the before_request hooks: commits before it (session bookkeeping) are not
    # the user's change (database.outcome).
    database.register_database_watch(app)
