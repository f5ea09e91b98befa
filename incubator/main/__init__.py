"""Site-wide pages: home, language switch, privacy notice, health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)
