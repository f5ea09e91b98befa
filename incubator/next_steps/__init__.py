"""next steps (see routes.py)."""

from flask import Blueprint

bp = Blueprint("next_steps", __name__)

from . import routes  # noqa: E402,F401
