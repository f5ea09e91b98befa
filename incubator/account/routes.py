"""My account: the list of my open sessions (end one, end all others) and my password.

The session routes answer htmx with the list fragment (and a message out of band) and plain
forms with a 303 back to the page. Changing the password ends every other session and
keeps this one on a new secret and a new cookie.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..auth import sessions
from ..auth.services import set_password
from ..extensions import db, limiter
from ..htmx import done, page_or_fragment
from ..models import EndReason
from ..passwords import verify_password
from ..security_log import record as log_event
from . import bp
from .devices import device_label
from .forms import EndSessionForm, PasswordForm


def _sessions_context() -> dict:
    this = sessions.current()
    return {
        "rows": sessions.open_sessions(current_user),
        "this_id": this.id if this is not None else None,
        "device_label": device_label,
        "end_form": EndSessionForm(),
    }


@bp.get("/sessions")
@login_required
def sessions_page():
    """My open sessions: a page, or the list fragment for htmx."""
    return page_or_fragment("account/sessions.html", "account/_sessions.html",
                            **_sessions_context())


def _ended(message: str):
    return done(message, url_for("account.sessions_page"), "account/_sessions.html",
                **_sessions_context())


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    if not EndSessionForm().validate_on_submit():
        abort(400)
    # Only another open session of mine: anything else is "not found".
    if not sessions.end_one(current_user, session_id, EndReason.ENDED_BY_USER):
        abort(404)
    db.session.commit()
    return _ended(_("The session is ended: that device is logged out."))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    if not EndSessionForm().validate_on_submit():
        abort(400)
    count = sessions.end_all(current_user, EndReason.ENDED_BY_USER, except_current=True)
    db.session.commit()
    return _ended(ngettext("%(num)d other session ended.", "%(num)d other sessions ended.",
                           count) if count else _("There was no other session to end."))


def _wrong_current_password(response) -> bool:
    return bool(g.get("wrong_current_password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["PASSWORD_CHANGE_LIMIT"], methods=["POST"],
               key_func=lambda: f"password:{current_user.get_id()}",
               deduct_when=_wrong_current_password)
def password():
    form = PasswordForm(account_email=current_user.email)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            g.wrong_current_password = True
            log_event("password.change_failed", reason="wrong_current_password")
            form.current.errors = [_("This is not your current password.")]
        elif verify_password(current_user.password_hash, form.password.data):
            form.password.errors = [_("This is already your password: choose a new one.")]
        else:
            user = current_user._get_current_object()
            set_password(user, form.password.data)
            ended = sessions.end_all(user, EndReason.PASSWORD_CHANGED, except_current=True)
            sessions.renew()
            log_event("password.changed", user_id=user.id, how="account", sessions_ended=ended)
            db.session.commit()
            flash(_("Your password is changed. Your other sessions are ended."), "success")
            return redirect(url_for("account.sessions_page"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status
