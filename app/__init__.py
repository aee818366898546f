"""Crowdsource: record, validate and publish speech datasets, from the browser.

`create_app` is the app factory. It is handed a resolved database URL by the process that
starts it (`crowdsource serve`, the WSGI entry point, the tests), so every entry point finds
the database the same way (see `app.db.resolve_database_url`).
"""

from __future__ import annotations

from flask import Flask

from app import errors_http, logs, metrics, security
from app.contributors import identity
from app.db import Database, resolve_database_url
from app.i18n import runtime as i18n_runtime
from app.security import limits
from app.settings import Settings, load_settings
from app.storage import Storage, make_dashboard_storage, make_storage
from app.web import assets, compression


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    storage: Storage | None = None,
) -> Flask:
    """Build the Flask app. Raises SettingsError / DatabaseUnavailable on bad configuration."""
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["SECRET_KEY"] = settings.secret_key
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Indic text as UTF-8, not \uXXXX
    app.extensions["crowdsource.settings"] = settings
    app.extensions["crowdsource.db"] = Database(
        database_url or resolve_database_url(settings), settings
    )
    app.extensions["crowdsource.storage"] = storage = storage or make_storage(settings)
    app.extensions["crowdsource.dashboard_storage"] = make_dashboard_storage(settings, storage)

    # Uploads are checked against max_upload_bytes in the route; this stops larger bodies early.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + 64 * 1024

    assets.init_app(app)
    logs.init_app(app, settings)  # first: every later hook and error has the request id
    metrics.init_app(app, settings)
    # after_request hooks run in reverse: compression after the cookies and security headers are
    # set (it must see Set-Cookie), before the log line and metrics (they count its 304s).
    compression.init_app(app)
    errors_http.init_app(app)
    security.init_app(app, settings, storage)
    identity.init_app(app)
    i18n_runtime.init_app(app, settings.interface_digits)

    from app.api.views import bp as api_bp
    from app.certificates.views import bp as certificates_bp
    from app.certificates.views import pages as certificate_pages_bp
    from app.contribute.views import bp as contribute_bp
    from app.contributors.key_views import bp as keys_bp
    from app.contributors.views import bp as contributors_bp
    from app.dashboard.views import bp as dashboard_files_bp
    from app.feedback.views import bp as feedback_bp
    from app.health.views import bp as health_bp
    from app.languages.views import bp as languages_bp
    from app.mydata.views import bp as mydata_bp
    from app.progress.views import bp as progress_bp
    from app.reports.views import bp as reports_bp
    from app.speak.views import bp as speak_bp
    from app.validate.views import bp as validate_bp
    from app.web.offline import bp as offline_bp
    from app.web.task_pages import bp as task_pages_bp
    from app.web.views import bp as web_bp

    for blueprint in (
        health_bp, api_bp, languages_bp, contributors_bp, speak_bp, validate_bp, contribute_bp,
        reports_bp, feedback_bp, dashboard_files_bp, web_bp, task_pages_bp, certificates_bp,
        certificate_pages_bp, progress_bp, mydata_bp, keys_bp, offline_bp,
    ):  # fmt: skip
        app.register_blueprint(blueprint)
    limits.init_app(app, settings)
    return app
