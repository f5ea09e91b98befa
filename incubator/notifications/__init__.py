"""Notifications: the bell in the header, its menu, the /notifications page and the e-mail
preference. The rows are written by ``incubator.notify`` (called from the services)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from . import routes  # noqa: E402,F401
