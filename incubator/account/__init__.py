"""The signed-in person's own account: open sessions, password (and later GDPR requests)."""

from flask import Blueprint

bp = Blueprint("account", __name__)
