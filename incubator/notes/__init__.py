"""notes (see routes.py)."""

from flask import Blueprint

bp = Blueprint("notes", __name__)
