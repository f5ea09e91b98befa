"""Referrals (orientations): a project handed to another support body (a partner) or
received from one, with date, reason and outcome; closing a project as "redirected" records
its outgoing referral (docs/referrals.md)."""

from flask import Blueprint

bp = Blueprint("referrals", __name__)
