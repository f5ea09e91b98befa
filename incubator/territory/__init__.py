"""The territory key figures (/pipeline/territory): the ESS establishments of the
organisations directory and their jobs for a year, in the pole's own phrasing, with the
territory's salaried jobs managers enter (docs/territory.md)."""

from flask import Blueprint

bp = Blueprint("territory", __name__)
