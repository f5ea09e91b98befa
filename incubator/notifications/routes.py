"""Routes of the notifications feature. (Scaffold: filled in by its feature.)"""

from flask import render_template
from flask_login import login_required

from . import bp


@bp.get("/notifications")
@login_required
def index():
    return render_template("base.html")
