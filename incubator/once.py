"""One-time form tokens: a creating form can be submitted only once.

The page renders the form with a hidden ``form_token`` (``form_token("note")`` in a
template): a random nonce signed with the user's id and the form's name, valid
``FORM_TOKEN_HOURS``. Showing a form writes nothing (a GET never changes anything). The route
that accepts the form calls ``claim`` before creating anything: the token's SHA-256 is
inserted into ``used_form_tokens`` (unique), in the same transaction as the creation, and
``created`` records what it made. A replay of the same rendered form (double click, resend
after a slow answer, a second tab) finds the row, or loses the race on the unique index, and
raises ``AlreadyUsed`` with what the first submission created, so the answer can point at it.
A project's creating forms are bound to the project too (``form_token("note", project.id)``).
A submission without a token (a script, a page rendered before this existed) is accepted
without this protection; a forged, foreign or expired token is refused like a stale page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, current_app, flash, request
from flask_babel import gettext
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .htmx import hx_redirect
from .models import UsedFormToken, utcnow
from .tokens import digest

FIELD = "form_token"
FORM_TOKEN_HOURS = 24
_SALT = "incubator-form-once"


class InvalidFormToken(Exception):
    """The token was not issued by us for this user and form, or is too old."""


@dataclass
class AlreadyUsed(Exception):
    """The same rendered form was accepted before; ``kind`` and ``id`` say what it created
    (None while the first submission is still running, or when it created nothing)."""

    kind: str | None
    id: int | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _name(form: str, scope: int | None) -> str:
    return form if scope is None else f"{form}:{scope}"


def form_token(form: str, scope: int | None = None) -> str:
    """A fresh token for ``form`` rendered for the current user (templates call it);
    ``scope``, the project a form belongs to, binds it to that project too."""
    user_id = current_user.id if current_user.is_authenticated else None
    return _serializer().dumps([user_id, _name(form, scope), secrets.token_urlsafe(16)])


def claim(form: str, scope: int | None = None) -> UsedFormToken | None:
    """Spend the request's token for ``form`` (of project ``scope``, if given: the same as
    when it was rendered) (flushed, committed with the creation).
    Returns the spent row, to pass to ``created``; None when the form carried no token.

    Raises InvalidFormToken (forged, another user's or form's, older than
    FORM_TOKEN_HOURS) or AlreadyUsed (this rendered form was accepted before)."""
    token = request.form.get(FIELD, "")
    if not token:
        return None
    try:
        user_id, name, _nonce = _serializer().loads(
            token, max_age=FORM_TOKEN_HOURS * 3600)
    except (BadSignature, ValueError, TypeError):
        raise InvalidFormToken() from None
    form = _name(form, scope)
    if name != form or user_id != current_user.id:
        raise InvalidFormToken()
    token_hash = digest(token)
    _forget_old()
    used = UsedFormToken(token_hash=token_hash, user_id=current_user.id, form=form)
    try:
        # The unique index decides between two submissions arriving together; on
        # PostgreSQL the second waits here until the first commits.
        with db.session.begin_nested():
            db.session.add(used)
    except IntegrityError:
        first = db.session.scalar(
            select(UsedFormToken).where(UsedFormToken.token_hash == token_hash))
        raise AlreadyUsed(first.object_kind if first else None,
                          first.object_id if first else None) from None
    return used


def created(used: UsedFormToken | None, obj: object) -> None:
    """Record what the accepted submission created (``obj`` has its id: flushed)."""
    if used is None:
        return
    used.object_kind = type(obj).__name__.lower()
    used.object_id = obj.id  # type: ignore[attr-defined]
    db.session.flush()


def stale_message() -> str:
    """What a refused token means for the user (the form shows it above its fields). The
    form comes back with the user's input and a fresh token, so sending it again works;
    reloading would lose the input."""
    return gettext("This form could not be accepted as it was (open for more than a day, or "
                   "altered). What you typed is kept: check it and send it again.")


def replayed(location: str, message: str) -> Response:
    """The answer to a replay: the user is sent to what the first submission created, with
    ``message`` saying so (``HX-Redirect`` for htmx, 303 otherwise)."""
    flash(message, "info")
    return hx_redirect(location)


def _forget_old() -> None:
    """Delete tokens past their lifetime: they would be refused as expired anyway. One
    indexed DELETE, run with each accepted creation, keeps the table a day's worth."""
    limit = utcnow() - timedelta(hours=FORM_TOKEN_HOURS)
    db.session.execute(delete(UsedFormToken).where(UsedFormToken.created_at < limit))
