"""The funders' report (« Rapport aux financeurs »): a year's figures as funders of support
schemes ask them — ideas received, projects accompanied, launches, redirections,
abandonments, jobs, supports, volunteer mentoring, committees, working groups and
accompaniment time —, printable on A4 and exported to XLSX (docs/report.md)."""

from flask import Blueprint

bp = Blueprint("report", __name__)
