"""The pipeline review (/pipeline): the managers' and advisors' figures of the support
pipeline over a period, computed from the history tables (docs/pipeline.md)."""

from flask import Blueprint

bp = Blueprint("pipeline", __name__)
