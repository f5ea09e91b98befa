"""Home (each role's landing page), language switch, privacy notice, the pole's logo and
health checks (liveness /healthz, readiness /healthz/ready)."""

from __future__ import annotations

import time

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..database import check_ready
from ..errors import RETRY_AFTER_SECONDS
from ..extensions import csrf, db, limiter
from ..pole import current_logo
from ..privacy import retention
from ..urls import home_url, safe_next
from . import bp
from .forms import LanguageForm


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return render_template("main/index.html")


@bp.post("/language")
def set_language():
    form = LanguageForm()
    locale = request.form.get("locale")
    if form.validate_on_submit() and locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.index"), code=303)


@bp.get("/privacy")
def privacy():
    """The privacy notice: the pole's identity and contact, and how long each kind of data
    is kept, written from the retention settings the purge applies (docs/retention.md)."""
    return render_template("main/privacy.html", retention_lines=retention.notice_lines())


@bp.get("/pole/logo")
def pole_logo():
    """The pole's logo, for every page's header (so without login): a PNG we drew ourselves
    (admin/pole_settings.py), sent as such, never sniffed. ``v`` names the version: a URL
    with the current one is kept a year by caches, any other is checked each time."""
    logo = current_logo()
    if logo is None:
        abort(404)
    data, digest = logo
    response = Response(data, mimetype="image/png")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = 'inline; filename="logo.png"'
    response.set_etag(digest)
    if request.args.get("v") == digest[:16]:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """Liveness: the process answers. Reads no database, no session (auth/sessions.py
    skips it), sets no cookie: 200 ``{"status": "ok"}`` always. A process manager restarts
    the app when this fails; a database outage must not make it do so."""
    return jsonify(status="ok")


@bp.get("/healthz/ready")
@limiter.exempt
@csrf.exempt
def ready():
    """Readiness: may this instance get traffic? 200 when ``SELECT 1`` answers (PostgreSQL:
    within its connect and 2 s statement timeouts) and the rate-limit store answers (Redis
    when ``RATELIMIT_STORAGE_URI`` is ``redis://``: without it every login would fail);
    else 503 with ``Retry-After`` and what is not ready, as JSON (``ok``/``unreachable`` per
    check, never an error's text). No session, no cookie.

    Never rate-limited: a load balancer probing every second from one address must not be
    refused (it would take the instance out). Instead the answer is kept
    ``READY_CACHE_SECONDS`` (1 s) in each process: however often and by whomever it is
    asked, it costs at most one ``SELECT 1`` and one store check a second per worker."""
    checks = _readiness()
    if any(value != "ok" for value in checks.values()):
        response = jsonify(status="not ready", **checks)
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return jsonify(status="ok", **checks)


def _readiness() -> dict[str, str]:
    """The checks of ``ready``, from this process's last answer if it is younger than
    ``READY_CACHE_SECONDS``."""
    kept = current_app.extensions.setdefault("readiness", {})
    now = time.monotonic()
    if kept.get("until", 0.0) > now:
        return kept["checks"]
    checks = {"database": "ok", "limits": "ok"}
    try:
        check_ready()
    except SQLAlchemyError as error:
        current_app.logger.warning("Readiness: database not ready: %s",
                                   type(error).__name__)
        checks["database"] = "unreachable"
    try:
        if not limiter.storage.check():
            checks["limits"] = "unreachable"
    except Exception as error:  # noqa: BLE001 — a store's client raises its own errors
        current_app.logger.warning("Readiness: rate-limit store not ready: %s",
                                   type(error).__name__)
        checks["limits"] = "unreachable"
    kept.update(checks=checks,
                until=now + float(current_app.config.get("READY_CACHE_SECONDS", 1.0)))
    return checks
