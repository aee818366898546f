"""JSON API of the contributor key (app/contributors/keys.py): reveal it, as text or a QR code,
replace it, and enter it on another device to continue as the same contributor."""

from __future__ import annotations

import io
import uuid

import segno
from flask import Blueprint, Response, current_app, jsonify, url_for

from app import deps
from app.contributors.identity import (
    current_contributor_id,
    forget_generation,
    require_session,
    set_session,
)
from app.contributors.keys import owner_of_key, reveal_key, rotate_key, work_left_behind
from app.contributors.service import (
    contributor_totals,
    ensure_contributor,
    get_profile,
    task_totals,
)
from app.db import Conn
from app.inputs import json_body

bp = Blueprint("keys", __name__, url_prefix="/api/v1")


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _key_answer(key: str) -> Response:
    """The key and the link that carries it in its fragment (never sent to a server), not to
    be kept by any cache."""
    url = url_for("web.key_page", _external=True) + "#" + key
    response = jsonify({"key": key, "url": url})
    response.headers["Cache-Control"] = "no-store"
    return response


def _ensure_committed(conn: Conn, contributor_id: uuid.UUID) -> None:
    """The person's row, made if need be, in a transaction of its own: reveal and rotate
    update key_nonce, a unique (key) column, which needs a FOR UPDATE lock that
    ensure_contributor's KEY SHARE, held by two concurrent reveals, would deadlock."""
    ensure_contributor(conn, contributor_id)
    conn.commit()


@bp.get("/me/key")
def show_key() -> Response:
    """This contributor's key (made on the first reveal), and its /key#... link."""
    contributor_id = require_session()
    with deps.database().connection() as conn:
        _ensure_committed(conn, contributor_id)
        key = reveal_key(conn, _secret(), contributor_id)
    return _key_answer(key)


@bp.get("/me/key.svg")
def key_qr_code() -> Response:
    """The QR code of the key's /key#... link, for a phone's camera."""
    contributor_id = require_session()
    with deps.database().connection() as conn:
        _ensure_committed(conn, contributor_id)
        key = reveal_key(conn, _secret(), contributor_id)
    out = io.BytesIO()
    url = url_for("web.key_page", _external=True) + "#" + key
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=False)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/me/key/rotate")
def replace_key() -> Response:
    """A new key: the old one stops working, and every other device's session is revoked;
    this browser gets a cookie of the new generation."""
    contributor_id = require_session()
    with deps.database().connection() as conn:
        _ensure_committed(conn, contributor_id)
        key, generation = rotate_key(conn, _secret(), contributor_id)
    forget_generation(contributor_id)
    set_session(contributor_id, generation)
    return _key_answer(key)


@bp.post("/session/key")
def enter_key() -> Response:
    """This browser becomes the key's contributor (their current generation): who they are,
    and what the session it leaves had contributed (it stays with that anonymous id)."""
    body = json_body()
    leaving = current_contributor_id()
    with deps.database().connection() as conn:
        owner = owner_of_key(conn, _secret(), body.get("key"))
        switched = leaving != owner.contributor_id
        left_behind = work_left_behind(conn, leaving) if switched else None
        profile = get_profile(conn, owner.contributor_id)
        totals = contributor_totals(conn, owner.contributor_id)
        tasks = task_totals(conn, owner.contributor_id)
    set_session(owner.contributor_id, owner.generation)
    response = jsonify(
        {
            "switched": switched,
            "profile": profile,
            "totals": totals,
            "tasks": tasks,
            "left_behind": left_behind,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
