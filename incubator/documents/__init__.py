"""documents (see routes.py)."""

from flask import Blueprint

bp = Blueprint("documents", __name__)
