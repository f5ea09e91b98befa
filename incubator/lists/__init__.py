"""The reference lists managers keep (/admin/lists): themes, envisaged legal forms,
committee criteria, note kinds, and the communes reference imported from a file."""

from flask import Blueprint

bp = Blueprint("lists", __name__)
