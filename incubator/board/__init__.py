"""The advisors' board of projects by support stage."""

from flask import Blueprint

bp = Blueprint("board", __name__)
