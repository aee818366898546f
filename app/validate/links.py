"""Short-lived signed links to recordings' audio and items' media (a clip to transcribe, an
image to label): buckets stay private, links expire. A refused link is told in the reader's
language (`Text`): one set of sentences for an audio link, one for any other."""

from __future__ import annotations

import uuid

from flask import Response, current_app, redirect, url_for
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from werkzeug.wrappers import Response as WerkzeugResponse

from app import deps
from app.errors import CrowdsourceError
from app.i18n.text import Text


class LinkExpired(CrowdsourceError):
    code = "link_expired"
    http_status = 403


_AUDIO_SALT = "crowdsource.audio"
_ITEM_SALT = "crowdsource.item-media"


def _signer(salt: str) -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=salt)


# (incomplete, expired, not valid): what a refused link is told, by the kind of link.
_AUDIO_LINK = (
    Text("This audio link is incomplete. Please reload the page."),
    Text("This audio link has expired. Please reload the page."),
    Text("This audio link is not valid. Please reload the page."),
)
_LINK = (
    Text("This link is incomplete. Please reload the page."),
    Text("This link has expired. Please reload the page."),
    Text("This link is not valid. Please reload the page."),
)


def _check(
    salt: str, subject: str, token: str | None, max_age: int, said: tuple[Text, Text, Text]
) -> None:
    """Raise LinkExpired unless `token` was signed with `salt` for `subject` within max_age
    seconds; `said` holds the messages for the link (incomplete, expired, not valid)."""
    incomplete, expired, invalid = said
    if not token:
        raise LinkExpired(incomplete)
    try:
        signed = _signer(salt).unsign(token, max_age=max_age).decode()
    except SignatureExpired:
        raise LinkExpired(expired) from None
    except BadSignature:
        raise LinkExpired(invalid) from None
    if signed != subject:
        raise LinkExpired(invalid)


def audio_url(public_id: str) -> str:
    """A URL for the recording's audio, valid for AUDIO_URL_TTL seconds."""
    token = _signer(_AUDIO_SALT).sign(public_id).decode()
    return url_for("validate.audio", public_id=public_id, token=token)


def check_audio_token(public_id: uuid.UUID, token: str | None, *, max_age: int) -> None:
    """Raise LinkExpired unless `token` was signed by us for this recording within max_age s."""
    _check(_AUDIO_SALT, str(public_id), token, max_age, _AUDIO_LINK)


def item_media_url(item_id: int) -> str:
    """A URL for an item's clip or image, valid for AUDIO_URL_TTL seconds."""
    token = _signer(_ITEM_SALT).sign(str(item_id)).decode()
    return url_for("contribute.item_media", item_id=item_id, token=token)


def check_item_token(item_id: int, token: str | None, *, max_age: int) -> None:
    """Raise LinkExpired unless `token` was signed by us for this item within max_age s."""
    _check(_ITEM_SALT, str(item_id), token, max_age, _LINK)


def stored_object_response(key: str, ttl: int) -> WerkzeugResponse:
    """An object's bytes for a signed link: a redirect to a presigned URL where the backend
    makes one, otherwise streamed by the app, cacheable privately for the link's life."""
    storage = deps.storage()
    presigned = storage.url(key, expires_in=ttl)
    if presigned is not None:
        return redirect(presigned, code=302)
    stored = storage.open(key)
    response = Response(stored.chunks, mimetype=stored.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(stored.size)
    response.headers["Cache-Control"] = f"private, max-age={ttl}"
    return response
