"""Short-lived signed links to recordings' audio and items' media (a clip to transcribe, an
image to label): buckets stay private, links expire."""

from __future__ import annotations

import uuid

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from app.errors import CrowdsourceError


class LinkExpired(CrowdsourceError):
    code = "link_expired"
    http_status = 403


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="crowdsource.audio")


def audio_url(public_id: str) -> str:
    """A URL for the recording's audio, valid for AUDIO_URL_TTL seconds."""
    token = _signer().sign(public_id).decode()
    return url_for("validate.audio", public_id=public_id, token=token)


def check_audio_token(public_id: uuid.UUID, token: str | None, *, max_age: int) -> None:
    """Raise LinkExpired unless `token` was signed by us for this recording within max_age s."""
    if not token:
        raise LinkExpired("This audio link is incomplete. Please reload the page.")
    try:
        signed = _signer().unsign(token, max_age=max_age).decode()
    except SignatureExpired:
        raise LinkExpired("This audio link has expired. Please reload the page.") from None
    except BadSignature:
        raise LinkExpired("This audio link is not valid. Please reload the page.") from None
    if signed != str(public_id):
        raise LinkExpired("This audio link is not valid. Please reload the page.")


def _item_signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="crowdsource.item-media")


def item_media_url(item_id: int) -> str:
    """A URL for an item's clip or image, valid for AUDIO_URL_TTL seconds."""
    token = _item_signer().sign(str(item_id)).decode()
    return url_for("contribute.item_media", item_id=item_id, token=token)


def check_item_token(item_id: int, token: str | None, *, max_age: int) -> None:
    """Raise LinkExpired unless `token` was signed by us for this item within max_age s."""
    if not token:
        raise LinkExpired("This link is incomplete. Please reload the page.")
    try:
        signed = _item_signer().unsign(token, max_age=max_age).decode()
    except SignatureExpired:
        raise LinkExpired("This link has expired. Please reload the page.") from None
    except BadSignature:
        raise LinkExpired("This link is not valid. Please reload the page.") from None
    if signed != str(item_id):
        raise LinkExpired("This link is not valid. Please reload the page.")
