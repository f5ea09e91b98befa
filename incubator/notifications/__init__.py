"""Notifications: the bell in the header, its menu, the /notifications page and the e-mail
preference. The rows are written by ``services`` (called from the features' services)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
