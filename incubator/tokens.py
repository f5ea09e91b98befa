"""Signed, expiring, single-use tokens for e-mailed links (invitation, password reset).

A token carries the user id and a fingerprint of the current password hash: once the
password is set, the fingerprint changes and every earlier link stops working.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .extensions import db
from .models import User

SALT = "incubator.password-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


# Link kind -> configuration key of its validity in hours.
KINDS = {"invite": "INVITATION_HOURS", "reset": "RESET_HOURS"}


def make_password_token(user: User, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user), "k": kind})


def read_password_token(token: str) -> tuple[User, str] | None:
    """The user and link kind of a valid, unexpired, unused token, else None."""
    serializer = _serializer()
    try:
        data = serializer.loads(token)  # signature first, to learn the kind
        if not isinstance(data, dict) or data.get("k") not in KINDS:
            return None
        hours = current_app.config[KINDS[data["k"]]]
        serializer.loads(token, max_age=hours * 3600)
    except BadSignature:  # also covers SignatureExpired
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        return None
    return user, data["k"]
