"""Protections every request goes through: security headers and the same-origin check for
state-changing requests."""

from __future__ import annotations

from flask import Flask

from app.security import headers, origin
from app.settings import Settings
from app.storage import Storage


def init_app(app: Flask, settings: Settings, storage: Storage) -> None:
    origin.init_app(app)
    headers.init_app(app, settings, storage)
