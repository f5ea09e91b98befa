"""Accounts: registration, login and logout, password links (invitation and reset)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
