"""Mentor accounts (issue 10): a contact person of the directory invited as a mentor, and
the mentor's own pages ("My mentorships", their part of a project page). What a mentor may
see and do everywhere else is in ``incubator.permissions`` (the "Mentors" rules)."""

from flask import Blueprint

bp = Blueprint("mentors", __name__)
