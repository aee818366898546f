"""Compressed responses (brotli or gzip, by Accept-Encoding) and revalidation of pages.

A step of every response, registered in `create_app` so that it runs after the hooks that set
cookies and security headers, and before the request's log line and metrics:

- HTML, JSON, JS, CSS and SVG (and plain text) of at least `MIN_BYTES` are compressed with
  brotli when the client accepts it, else gzip, and carry `Vary: Accept-Encoding`; never
  audio, images, fonts, zip or PDF, nor a streamed or passed-through response (the export zip
  stays streamed), nor one that already has a Content-Encoding.
- Static files (app.web.assets) are compressed once per process at the highest levels and kept
  in memory by content hash and encoding; everything else is compressed per response at fast
  levels (brotli 4, gzip 5). Measured here (load ~5 on 2 cores): a 5.8 KB page 79 µs at brotli
  4 (2.0 KB) against 7.6 ms at 11 (1.6 KB), gzip 5 46 µs; 11.6 KB of JSON 20-26 µs
  (to weigh against the #22 budgets).
- A page (a 200 HTML answer to GET) gets `Cache-Control: no-cache, private` and an ETag of its
  body; `If-None-Match` that matches answers 304 without a body. A response that sets a cookie
  gets no ETag and is never a 304 (the cookie would be lost).
- An ETag names its encoding (`"<tag>-br"`, `"<tag>-gzip"`): a cache never mixes the bodies.

Why this module and not flask-compress: the compressing itself is the small part here (a
call to `brotli.compress` or `gzip.compress`); the rest is ours whatever does it: the cache of
static bodies keyed by content hash, ETags per encoding, 304s that never drop a cookie, and the
place of the hook among ours. flask-compress would add a dependency (and its own `after_request`
whose order against our cookie hooks is fixed by when it is initialised) for the small part. The
`brotli` package (one C extension, wheels for our platforms) is the only new dependency.
"""

from __future__ import annotations

import gzip
import hashlib
import threading

import brotli
from flask import Flask, Response, request

MIN_BYTES = 512
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "application/json",
        "application/problem+json",
        "text/javascript",
        "application/javascript",
        "text/css",
        "image/svg+xml",
        "text/plain",
        "application/manifest+json",
    }
)
PAGE_CACHE_CONTROL = "no-cache, private"
_DYNAMIC_LEVELS = {"br": 4, "gzip": 5}
_STATIC_LEVELS = {"br": 11, "gzip": 9}
_cache: dict[tuple[str, str], bytes] = {}
_cache_lock = threading.Lock()


def compress(data: bytes, encoding: str, level: int) -> bytes:
    """`data` in `encoding` ("br" or "gzip"), reproducibly (no timestamp in gzip)."""
    if encoding == "br":
        return bytes(brotli.compress(data, quality=level))
    return gzip.compress(data, compresslevel=level, mtime=0)


def chosen_encoding() -> str | None:
    """The request's preferred encoding of ours: brotli, else gzip, else none."""
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding] > 0:
            return encoding
    return None


def _compressible(response: Response) -> bool:
    return (
        response.mimetype in COMPRESSIBLE
        and not response.direct_passthrough
        and not response.is_streamed
        and "Content-Encoding" not in response.headers
        and response.status_code not in (204, 206, 304)
        and response.status_code >= 200
    )


def _cached_static(digest: str, data: bytes, encoding: str) -> bytes:
    """A static file's compressed body, made once per process."""
    key = (digest, encoding)
    body = _cache.get(key)
    if body is None:
        body = compress(data, encoding, _STATIC_LEVELS[encoding])
        with _cache_lock:
            _cache[key] = body
    return body


def _is_page(response: Response) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
    )


def _not_modified(response: Response) -> Response:
    """The 304 for `response`: its validators and caching headers, no body."""
    kept = Response(status=304)
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length", "content-encoding"):
            kept.headers.add(name, value)
    return kept


def finish(response: Response) -> Response:
    """Caching headers, 304 and compression for `response` (see the module docstring)."""
    sets_cookie = "Set-Cookie" in response.headers
    if _is_page(response):
        response.headers.setdefault("Cache-Control", PAGE_CACHE_CONTROL)
        if not sets_cookie and "no-store" not in response.headers["Cache-Control"]:
            digest = hashlib.blake2b(response.get_data(), digest_size=12).hexdigest()
            response.set_etag(digest)
    if sets_cookie and response.headers.get("ETag") and response.mimetype == "text/html":
        del response.headers["ETag"]
    compressible = _compressible(response)
    encoding = None
    if compressible:
        response.vary.add("Accept-Encoding")
        size = response.calculate_content_length() or 0
        encoding = chosen_encoding() if size >= MIN_BYTES else None
    tag, weak = response.get_etag()
    if tag and encoding:
        response.set_etag(f"{tag}-{encoding}", weak=bool(weak))
        tag = f"{tag}-{encoding}"
    if (
        tag
        and not sets_cookie
        and request.method in ("GET", "HEAD")
        and response.status_code == 200
        and tag in request.if_none_match
    ):
        return _not_modified(response)
    if encoding:
        data = response.get_data()
        asset_digest: str | None = getattr(response, "asset_digest", None)
        if asset_digest:
            body = _cached_static(asset_digest, data, encoding)
        else:
            body = compress(data, encoding, _DYNAMIC_LEVELS[encoding])
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
    return response


def init_app(app: Flask) -> None:
    """Register `finish` (hooks run in reverse order of registration: see `create_app`)."""
    app.after_request(finish)
