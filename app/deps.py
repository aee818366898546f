"""Access to the per-app services (settings, database, storage) from request code."""

from __future__ import annotations

from flask import current_app

from app.db import Database
from app.settings import Settings
from app.storage import Storage


def settings() -> Settings:
    return current_app.extensions["crowdsource.settings"]


def database() -> Database:
    return current_app.extensions["crowdsource.db"]


def storage() -> Storage:
    return current_app.extensions["crowdsource.storage"]


def dashboard_storage() -> Storage:
    """Where the published dashboard lives (its own bucket, or the recordings storage)."""
    return current_app.extensions["crowdsource.dashboard_storage"]
