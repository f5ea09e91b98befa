"""Imports of organisations into the directory: a pole's spreadsheet (CSV or XLSX, columns
mapped in a preview) or an INSEE Sirene extract, re-imported without duplicates, recorded
and undoable (/members/imports, staff only; docs/members.md, "Imports")."""

from flask import Blueprint

bp = Blueprint("imports", __name__)
