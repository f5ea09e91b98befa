"""The entity exports (/exports): projects, stage moves, supports, accompaniment time and
the organisations directory in CSV and XLSX, filtered, streamed, within what the user may
export (docs/exports.md)."""

from flask import Blueprint

bp = Blueprint("exports", __name__)
