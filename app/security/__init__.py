"""Protections every request goes through: the same-origin check for state-changing requests,
body limits, and security headers (rate limits are wired after the blueprints, in limits.py)."""

from __future__ import annotations

from flask import Flask

from app.security import bodies, body_errors, headers, origin
from app.settings import Settings
from app.storage import Storage


def init_app(app: Flask, settings: Settings, storage: Storage) -> None:
    origin.init_app(app)
    bodies.init_app(app)
    body_errors.init_app(app)
    headers.init_app(app, settings, storage)
