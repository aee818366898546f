"""Security headers on every response: a strict Content-Security-Policy and its companions.

The policy is built once per app from the settings: scripts, styles, images and fonts come
only from this app (the pages carry no inline script or style, see architecture.md); the page
may fetch JSON from the app and from the dashboard's CDN, and play audio from the app, from
`blob:` (the recorder's playback) and from the storage service's signed links.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from app.errors import CrowdsourceError
from app.settings import Settings
from app.storage import Storage

HSTS = "max-age=31536000; includeSubDomains"
# Powerful features are off, except the microphone for this origin (the speak page).
PERMISSIONS_POLICY = ", ".join(
    [
        "microphone=(self)",
        "camera=()",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "interest-cohort=()",
    ]
)


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def storage_media_origin(storage: Storage) -> str | None:
    """Where the browser fetches recordings, clips and images from when storage hands out
    signed links (S3, GCS with a signing key): the origin of a link made for a probe key,
    made locally."""
    try:
        return origin_of(storage.url("security/probe.webm", expires_in=60))
    except CrowdsourceError:  # no credentials to sign with: the app streams audio itself
        return None


def content_security_policy(settings: Settings, storage: Storage) -> str:
    """The page policy: nothing inline, nothing from hosts we do not name."""
    cdn = origin_of(settings.cdn_base_url)
    media = storage_media_origin(storage)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # images to label come from storage's signed links too, as clips do
        "img-src": ["'self'", "data:", *([media] if media else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *([cdn] if cdn else [])],
        "media-src": ["'self'", "blob:", *([media] if media else [])],
        # the service worker (/sw.js, the app shell offline and the upload queue)
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_app(app: Flask, settings: Settings, storage: Storage) -> None:
    """Adds the headers to every response (pages, JSON, files and errors alike)."""
    policy = content_security_policy(settings, storage)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # request.is_secure honours X-Forwarded-Proto only from the addresses gunicorn trusts
        # (FORWARDED_ALLOW_IPS), so a client cannot switch HSTS on or off by itself.
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
