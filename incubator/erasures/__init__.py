"""The erasure pages (managers): preview what erasing a person removes and keeps, confirm,
and the list of erasures done (docs/erasure.md). The work is ``privacy.erasure``."""

from flask import Blueprint

bp = Blueprint("erasures", __name__)
