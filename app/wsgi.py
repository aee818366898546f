"""WSGI entry point for gunicorn in containers:
`gunicorn --config python:app.gunicorn_conf app.wsgi:app` (the image's command).

Expects a configured database (DATABASE_URL or DB_HOST) whose schema is migrated by
`crowdsource migrate up` (a Job on Kubernetes). For local use, run `crowdsource serve`.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv

from app import create_app
from app.settings import load_settings, with_secret_key

load_dotenv(Path.cwd() / ".env", override=False)
app = create_app(with_secret_key(load_settings()))
