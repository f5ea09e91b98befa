"""The bell, its menu, the notifications page and the e-mail preference.

The bell is in every page's header (``bell_context`` below); htmx polls it, cheaply (one
COUNT, and 204 when the number shown is still right). Opening the menu or the page marks
what it lists as read, after showing it as unread this once. Everything here is about the
current user's own notifications only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from .. import notify
from ..extensions import db
from ..htmx import hx_redirect, is_htmx, vary_on_htmx
from ..models import Notification
from ..params import parse_int, query_int
from . import bp, queries
from .forms import MarkAllReadForm, PreferencesForm


def bell_context(count: int | None = None) -> dict[str, Any] | None:
    """What ``_bell.html`` shows: the unread count and how often to ask again."""
    if count is None:
        try:
            count = notify.unread_count(current_user)
        except SQLAlchemyError:  # an error page while the database is down: no bell
            current_app.logger.warning("No notification count: database error")
            return None
    return {"count": count, "poll_seconds": current_app.config["NOTIFICATION_POLL_SECONDS"]}


@bp.app_context_processor
def _header_bell() -> dict[str, Any]:
    # A function, so only pages that show the header pay for the COUNT.
    return {"notification_bell": bell_context}


@bp.context_processor
def _sentences() -> dict[str, Any]:
    return {"notification_message": notify.message, "notification_link": notify.link}


def _logged_in(view: Callable) -> Callable:
    """Like ``login_required``, but never a 302 to htmx: the browser goes to the login page
    (with HX-Redirect), except for the bell's poll, which just stops (286) and goes away."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        if not is_htmx():
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        if request.endpoint == "notifications.bell":
            return vary_on_htmx(make_response("", 286))
        return vary_on_htmx(hx_redirect(url_for("auth.login",
                                                next=url_for("notifications.index"))))

    return wrapped


def _read_now(notifications: list[Notification]) -> set[int]:
    """Mark the listed notifications read; return those that were unread (shown so once)."""
    unread = {n.id for n in notifications if n.read_at is None}
    notify.mark_read(current_user, unread)
    return unread


def _list_context(number: int, unread: set[int] | None = None) -> dict[str, Any]:
    page = queries.page(current_user, number)
    if unread is None:
        unread = _read_now(page.items)
    return {
        "page": page,
        "unread": unread,
        "linkable": queries.linkable(current_user, page.items),
    }


@bp.get("/notifications")
@_logged_in
def index():
    """The page (or, for htmx paging, the list and the bell)."""
    context = _list_context(query_int("page", 1))
    context["bell"] = bell_context()  # after marking: what is still unread
    if is_htmx():
        html = render_template("notifications/_list.html", oob_bell=True, **context)
    else:
        form = PreferencesForm(formdata=None, obj=current_user)
        html = render_template("notifications/index.html", preferences=form, **context)
    db.session.commit()
    return vary_on_htmx(make_response(html))


@bp.get("/notifications/menu")
@_logged_in
def menu():
    """The bell's drop-down: the latest ones, marked read once shown. ``close`` empties it.
    Without JavaScript the bell is a link to the page, so a plain request goes there."""
    if not is_htmx():
        return vary_on_htmx(redirect(url_for("notifications.index"), code=303))
    if request.args.get("close"):  # with the bell, so that it opens the menu again
        return vary_on_htmx(make_response(render_template(
            "notifications/_menu.html", open=False, oob_bell=True, bell=bell_context())))
    notifications = queries.latest(current_user)
    unread = _read_now(notifications)
    html = render_template(
        "notifications/_menu.html", open=True, notifications=notifications, unread=unread,
        linkable=queries.linkable(current_user, notifications), oob_bell=True,
        bell=bell_context(),
    )
    db.session.commit()
    return vary_on_htmx(make_response(html))


@bp.get("/notifications/bell")
@_logged_in
def bell():
    """The bell's poll: 204 while ``shown`` is still the unread count, else the bell (still
    saying the menu is open when it is: ``open``)."""
    if not is_htmx():
        return vary_on_htmx(redirect(url_for("notifications.index"), code=303))
    count = notify.unread_count(current_user)
    if parse_int(request.args.get("shown"), 0) == count:
        return vary_on_htmx(make_response("", 204))
    return vary_on_htmx(make_response(render_template(
        "notifications/_bell.html", bell=bell_context(count),
        expanded=bool(request.args.get("open")))))


@bp.post("/notifications/read")
@_logged_in
def mark_all_read():
    form = MarkAllReadForm()
    if not form.validate_on_submit():
        abort(400)  # only a tampered page number gets here (CSRF is checked app-wide)
    notify.mark_read(current_user)
    db.session.commit()
    message = _("All your notifications are marked as read.")
    if is_htmx():
        context = _list_context(form.page.data or 1, unread=set())
        return vary_on_htmx(make_response(render_template(
            "notifications/_list.html", notice=message, oob_bell=True, bell=bell_context(0),
            **context)))
    flash(message, "success")
    return redirect(url_for("notifications.index"), code=303)


@bp.post("/notifications/preferences")
@_logged_in
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        return vary_on_htmx(make_response(render_template(
            "notifications/_preferences.html", preferences=form), 422))
    current_user.email_notifications = bool(form.email_notifications.data)
    db.session.commit()
    message = (_("You will receive your notifications by e-mail too.")
               if current_user.email_notifications
               else _("You will no longer receive notifications by e-mail. They stay here."))
    if is_htmx():
        return vary_on_htmx(make_response(render_template(
            "notifications/_preferences.html", preferences=form, saved=message)))
    flash(message, "success")
    return redirect(url_for("notifications.index"), code=303)
