"""Supports (soutiens) on a project: what a partner body does for it (grant, loan, honour
loan, guarantee, premises, expertise, networking), its amount in exact cents, its status
with the dated history of each change, and the totals per status (docs/supports.md)."""

from flask import Blueprint

bp = Blueprint("supports", __name__)
