"""Incubateur: an incubation tracker for ESS poles.

``create_app`` builds the Flask application; see README.md for running it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import config as settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory. ``config`` overrides the settings read from the environment."""
    folder = settings.instance_path()
    app = Flask(
        __name__,
        instance_path=str(folder),
        template_folder=str(settings.ROOT / "templates"),
        static_folder=str(settings.ROOT / "static"),
    )
    overrides = dict(config or {})
    # Tests and embedders that give their own key do not get one created on disk.
    app.config.update(settings.from_environment(folder, "SECRET_KEY" not in overrides))
    app.config.update(overrides)
    settings.resolve_hosts(app.config)  # BASE_URL (required in production), TRUSTED_HOSTS

    register_extensions(app)
    from .params import register_params

    register_params(app)  # bounded <int:…> ids: before the blueprints add their rules
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (tables known to SQLAlchemy and Alembic)
    from .extensions import babel, csrf, db, limiter, login_manager
    from .i18n import register_i18n, register_reference_labels, select_locale
    from .migrate_lazy import register_migrate
    from .models.types import render_migration_item
    from .pole import pole_time_zone
    from .security import register_security, register_trusted_hosts
    from .security_log import register_security_log
    from .worker import register_worker

    register_security_log(app)  # first: every later hook and error has a request id
    register_trusted_hosts(app)  # then: a request for another host goes no further (400)
    # Whatever the configuration, an error's message never carries SQL parameters
    # (password hashes, e-mail addresses, names): see security_log.py.
    engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    engine_options["hide_parameters"] = True
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # A connection the server dropped (restart, pg_terminate_backend) is noticed when
        # it leaves the pool and replaced, with every older one (docs/architecture.md,
        # "When the database is out of reach"); whatever options the caller gave.
        engine_options.setdefault("pool_pre_ping", True)
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # An unreachable host (no "connection refused") must not hold a worker for
        # minutes: libpq's connect_timeout, in seconds.
        connect_args = dict(engine_options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", app.config.get("DATABASE_CONNECT_TIMEOUT", 5))
        # No JIT compilation: at 10,000 projects the board's filtered statements pass
        # jit_above_cost and PostgreSQL spent 130 ms compiling a 5 ms query (EXPLAIN ANALYZE,
        # docs/performance.md "Regional scale"). Set at connection (libpq ``options``): no
        # statement more per request.
        connect_args.setdefault("options", "-c jit=off")
        engine_options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    db.init_app(app)
    # Flask-Migrate (Alembic, Mako) is imported only by the commands that use it.
    register_migrate(
        app, db, directory=str(settings.ROOT / "migrations"), render_as_batch=True,
        compare_type=True, render_item=render_migration_item,
    )
    csrf.init_app(app)
    # Dates and "today" in the pole's time zone, as its managers set it (incubator/pole.py).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=pole_time_zone)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    _user_loader()
    from .auth.sessions import register_sessions

    register_sessions(app)  # server-side sessions: checked before every view
    register_i18n(app)
    register_reference_labels(app)
    register_security(app)
    from .assets import register_assets

    register_assets(app)  # static URLs carry their file's version (?v=…)
    register_worker(app)  # mails and deferred jobs: the worker, or inline (development)
    _template_context(app)


def _user_loader() -> None:
    from .auth.sessions import load_user
    from .extensions import login_manager
    from .urls import login_required_answer

    # Only a cookie of an open session row is a login (see auth/sessions.py).
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(login_required_answer)  # htmx: 401 + HX-Redirect


def _template_context(app: Flask) -> None:
    from flask_babel import get_locale

    # Less whitespace in fragments: smaller htmx answers, no stray text nodes.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from .board.cards import card_kit
    from .dom import dom_id
    from .labels import LABELS
    from .once import form_token
    from .permissions import CurrentUserRules
    from .tables import cell_text

    app.jinja_env.filters["cell"] = cell_text  # a tables.Table's value, read the local way
    from .charts import chart_data

    app.jinja_env.filters["chart_data"] = chart_data  # a tables.Table as a chart's JSON

    from .pole import current_pole

    @app.context_processor
    def inject() -> dict[str, Any]:
        pole = current_pole()
        return {
            "pole": pole,
            "pole_name": pole.name,
            "pole_short_name": pole.short_name,
            "current_locale": str(get_locale()),
            "can": CurrentUserRules(),
            "labels": LABELS,
            "dom_id": dom_id,
            "card_kit": card_kit,
            "form_token": form_token,
        }


def register_blueprints(app: Flask) -> None:
    # Each blueprint is taken from its routes module, which adds its views to it: a package's
    # ``__init__`` only creates the blueprint, so importing a feature's queries or services
    # loads no routes.
    from .account.routes import bp as account_bp
    from .account.routes import closures_bp
    from .admin.routes import bp as admin_bp
    from .auth.routes import bp as auth_bp
    from .board.routes import bp as board_bp
    from .committees.routes import bp as committees_bp
    from .documents.routes import bp as documents_bp
    from .groups.routes import bp as groups_bp
    from .imports.routes import bp as imports_bp
    from .lists.routes import bp as lists_bp
    from .main.routes import bp as main_bp
    from .members.routes import bp as members_bp
    from .mentoring.routes import bp as mentoring_bp
    from .mentors.routes import bp as mentors_bp
    from .next_steps.routes import bp as next_steps_bp
    from .notes.routes import bp as notes_bp
    from .notifications.routes import bp as notifications_bp
    from .partners.routes import bp as partners_bp

    # The project page sits above the features it shows; its module adds it (endpoint
    # ``projects.show``) to the projects blueprint.
    from .project_page import routes as _project_page  # noqa: F401
    from .projects.routes import bp as projects_bp
    from .referrals.routes import bp as referrals_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(mentors_bp)
    app.register_blueprint(imports_bp)  # /members/imports…
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(projects_bp, url_prefix="/projects")
    app.register_blueprint(board_bp)  # /board… and /projects/<id>/move…
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(lists_bp)  # /admin/lists…
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(closures_bp, url_prefix="/admin/closure-requests")
    # Features of the project file: routes under /projects/<id>/… and their own pages.
    app.register_blueprint(notes_bp)
    app.register_blueprint(next_steps_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(partners_bp)  # /partners…, /members/<id>/partner and /activity
    app.register_blueprint(mentoring_bp)  # /projects/<id>/mentors…
    app.register_blueprint(referrals_bp)  # /projects/<id>/referrals…
    from .supports.routes import bp as supports_bp  # /projects/<id>/supports…
    app.register_blueprint(supports_bp)
    app.register_blueprint(groups_bp)  # /groups…
    app.register_blueprint(committees_bp)  # /committees…
    from .accompaniment.routes import bp as accompaniment_bp  # /projects/<id>/accompaniment…
    app.register_blueprint(accompaniment_bp)
    from .report.routes import bp as report_bp  # the funders' report (issue 12)
    app.register_blueprint(report_bp, url_prefix="/pipeline/report")
    from .territory.routes import bp as territory_bp  # /pipeline/territory…
    app.register_blueprint(territory_bp, url_prefix="/pipeline/territory")
    from .exports_page.routes import bp as exports_bp  # /exports… (issue 12, F)

    app.register_blueprint(exports_bp)
    from .pipeline.routes import bp as pipeline_bp  # /pipeline
    app.register_blueprint(pipeline_bp)
    from .checklists.routes import bp as checklists_bp  # /admin/stages/<id>/checklist…

    app.register_blueprint(checklists_bp)  # …and /projects/<id>/checklist/<criterion>
    from .cohorts.routes import bp as cohorts_bp  # /admin/cohorts… and /cohorts/<id>…
    app.register_blueprint(cohorts_bp)
    from .data_export.routes import bp as privacy_bp  # /account/data, /privacy/people/… (issue 14)

    app.register_blueprint(privacy_bp)
    from .erasures.routes import bp as erasures_bp  # /admin/erasures, …/users|contacts/<id>/erase

    app.register_blueprint(erasures_bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register_commands as register

    register(app)
