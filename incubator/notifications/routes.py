"""The bell, its menu, the notifications page and the e-mail preference.

The bell is in every page's header (``bell_context`` below); htmx polls it, cheaply (one
COUNT, and 204 when the number shown is still right). Reading never changes anything (a GET
never writes): a notification is marked read when the user opens its link (a POST that then
sends them on) or marks them all read. Everything here is about the current user's own
notifications only; without a session, Flask-Login's handler answers (401 + HX-Redirect to
htmx, see ``urls.login_required_answer``).
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..htmx import done, focus_on, hx_redirect, is_htmx, render, vary_on_htmx
from ..models import Notification
from ..params import parse_int, query_int
from . import bp, queries, services
from .forms import MarkAllReadForm, PreferencesForm


def bell_context(count: int | None = None) -> dict[str, Any] | None:
    """What ``_bell.html`` shows: the unread count and how often to ask again."""
    if count is None:
        try:
            count = queries.unread_count(current_user)
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
    return {"notification_message": services.message, "notification_link": services.link}


def _unread(notifications: list[Notification]) -> set[int]:
    return {n.id for n in notifications if n.read_at is None}


def _list_context(number: int, unread: set[int] | None = None) -> dict[str, Any]:
    page = queries.page(current_user, number)
    if unread is None:
        unread = _unread(page.items)
    return {
        "page": page,
        "unread": unread,
        "linkable": queries.linkable(current_user, page.items),
    }


@bp.get("/notifications")
@login_required
def index():
    """The page (or, for htmx paging, the list and the bell)."""
    context = _list_context(query_int("page", 1))
    context["bell"] = bell_context()
    if is_htmx():  # another page of the list: the focus goes to the list
        html = render_template("notifications/_list.html", oob_bell=True, **context)
        return focus_on(vary_on_htmx(make_response(html)), "notification-list")
    form = PreferencesForm(formdata=None, obj=current_user)
    html = render_template("notifications/index.html", preferences=form, **context)
    return vary_on_htmx(make_response(html))


@bp.get("/notifications/menu")
@login_required
def menu():
    """The bell's drop-down: the latest ones. ``close`` empties it.
    Without JavaScript the bell is a link to the page, so a plain request goes there."""
    if not is_htmx():
        return vary_on_htmx(redirect(url_for("notifications.index"), code=303))
    # The bell comes with it (out of band): the focus goes back to its link.
    if request.args.get("close"):  # with the bell, so that it opens the menu again
        return focus_on(vary_on_htmx(make_response(render_template(
            "notifications/_menu.html", open=False, oob_bell=True, bell=bell_context()))),
            "notification-bell-link")
    return focus_on(render("notifications/_menu.html", **_menu_context()),
                    "notification-bell-link")


def _menu_context() -> dict:
    """The open menu: the latest notifications, with the bell out of band."""
    notifications = queries.latest(current_user)
    return {"open": True, "notifications": notifications, "unread": _unread(notifications),
            "linkable": queries.linkable(current_user, notifications), "oob_bell": True,
            "bell": bell_context()}


@bp.get("/notifications/bell")
@login_required
def bell():
    """The bell's poll: 204 while ``shown`` is still the unread count, else the bell (still
    saying the menu is open when it is: ``open``)."""
    if not is_htmx():
        return vary_on_htmx(redirect(url_for("notifications.index"), code=303))
    count = queries.unread_count(current_user)
    if parse_int(request.args.get("shown"), 0) == count:
        return vary_on_htmx(make_response("", 204))
    return vary_on_htmx(make_response(render_template(
        "notifications/_bell.html", bell=bell_context(count),
        expanded=bool(request.args.get("open")))))


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    form = MarkAllReadForm()
    if not form.validate_on_submit():
        abort(400)  # only a tampered page number gets here (CSRF is checked app-wide)
    services.mark_read(current_user)
    db.session.commit()
    message = _("All your notifications are marked as read.")
    to = url_for("notifications.index")
    if request.args.get("menu"):
        return done(message, to, "notifications/_menu.html", **_menu_context())
    return done(message, to, "notifications/_list.html", oob_bell=True, bell=bell_context(0),
                **_list_context(form.page.data or 1, unread=set()))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_link(notification_id: int):
    """Mark one notification read and go where it leads (its project, if the user may still
    open it; else the notifications page). The sentence's link posts here with htmx; without
    JavaScript it is a plain link and "mark all as read" does the marking."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, [notification.id])
    db.session.commit()
    target = None
    if (notification.kind == services.CLOSURE_REQUESTED
            or notification.project_id in queries.linkable(current_user, [notification])):
        target = services.link(notification)
    return vary_on_htmx(hx_redirect(target or url_for("notifications.index")))


@bp.post("/notifications/preferences")
@login_required
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        return render("notifications/_preferences.html", 422, preferences=form)
    current_user.email_notifications = bool(form.email_notifications.data)
    db.session.commit()
    message = (_("You will receive your notifications by e-mail too.")
               if current_user.email_notifications
               else _("You will no longer receive notifications by e-mail. They stay here."))
    return done(message, url_for("notifications.index"), "notifications/_preferences.html",
                preferences=form)
