"""Crowdsource: record, validate and publish speech datasets, from the browser.

`create_app` is the app factory. It is handed a resolved database URL by the process that
starts it (`crowdsource serve`, the WSGI entry point, the tests), so every entry point finds
the database the same way (see `app.db.resolve_database_url`).
"""

from __future__ import annotations

from flask import Flask

from app import errors_http
from app.db import Database, resolve_database_url
from app.settings import Settings, load_settings
from app.storage import Storage, make_storage


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
    app.extensions["crowdsource.storage"] = storage or make_storage(settings)

    errors_http.init_app(app)

    from app.health.views import bp as health_bp
    from app.languages.views import bp as languages_bp
    from app.web.views import bp as web_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(languages_bp)
    app.register_blueprint(web_bp)
    return app
