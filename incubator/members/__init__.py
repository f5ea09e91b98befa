"""The organisations directory: the ESS organisations of the territory and the pole's
members among them (/members)."""

from flask import Blueprint

bp = Blueprint("members", __name__)
