"""Pages of the web app (server-rendered; scripts and styles are static files, never inline)."""

from __future__ import annotations

from flask import Blueprint, render_template

from app import deps
from app.languages.service import list_languages

bp = Blueprint("web", __name__)


@bp.get("/")
def home() -> str:
    with deps.database().connection() as conn:
        languages = list_languages(conn)
    return render_template("index.html", languages=languages)
