"""The partner bodies (/partners): communes, intercommunalities, funders, networks… that
support projects, their totals by year, and the organisations of the directory that are
partners too."""

from flask import Blueprint

bp = Blueprint("partners", __name__)
