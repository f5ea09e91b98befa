"""Accompaniment time (temps d'accompagnement): the time staff spend with a project's people,
logged from the project page (day, duration, kind of contact, advisor, note), with its totals
per kind; the figures funders of support schemes ask for (docs/accompaniment.md)."""

from flask import Blueprint

bp = Blueprint("accompaniment", __name__)
