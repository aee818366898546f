"""What every command needs first: the settings, the database, the storage, resolved the same
way for all of them (configured server, else the embedded PostgreSQL for DATA_DIR)."""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv

from app.db import check_database, resolve_database_url
from app.settings import Settings, load_settings
from app.storage import Storage, make_dashboard_storage, make_storage


def settings_from_environment() -> Settings:
    """Read `.env` from the working directory (values already set win), then the settings."""
    load_dotenv(Path.cwd() / ".env", override=False)
    return load_settings()


def connect_database(settings: Settings) -> str:
    """The database URL, after starting the embedded server if needed and checking it answers."""
    url = resolve_database_url(settings)
    check_database(url, timeout=settings.db_connect_timeout)
    return url


def checked_storage(settings: Settings) -> Storage:
    """The configured storage backend, after checking the bucket is reachable."""
    storage = make_storage(settings)
    storage.check()
    return storage


def checked_dashboard_storage(settings: Settings, recordings: Storage | None = None) -> Storage:
    """Where the dashboard is published (DASHBOARD_BUCKET_NAME, else the recordings storage),
    after checking it is reachable."""
    storage = make_dashboard_storage(settings, recordings)
    if storage is not recordings:
        storage.check()
    return storage
