"""The advisors' board of projects by support stage."""

from flask import Blueprint

bp = Blueprint("board", __name__)

from . import routes  # noqa: E402,F401
