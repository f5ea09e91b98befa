"""next steps (see routes.py)."""

from flask import Blueprint

bp = Blueprint("next_steps", __name__)
