"""Administration for managers: the user list, staff invitations and roles."""

from flask import Blueprint

bp = Blueprint("admin", __name__)
