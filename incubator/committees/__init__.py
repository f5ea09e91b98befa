"""Committees: sittings of the pole's selection and support committees (who sat, the projects
on the agenda), each project's review (decision, scores on the pole's criteria, conditions,
comments), the comparison of a sitting's projects, the one-click move to a stage after a
decision, and the managers' list of criteria (docs/committees.md)."""

from flask import Blueprint

bp = Blueprint("committees", __name__)
