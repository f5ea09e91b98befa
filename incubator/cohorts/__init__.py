"""Cohorts (promotions): /admin/cohorts for managers, a cohort's page and its projects for
staff (docs/cohorts.md)."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__)
