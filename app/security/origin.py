"""Cross-site request forgery: state-changing requests must come from our own pages.

A strict Origin check (ADR 0007): browsers send `Origin` on every POST, PUT, PATCH and DELETE,
and `Sec-Fetch-Site` on every request; a request whose Origin names another site, or that a
browser labels `cross-site`, is refused with 403 before any work is done. Requests without
either header do not come from a browser page (curl, the load tests, the functional tests,
server-to-server calls) and carry no ambient credentials an attacker could borrow: they pass.
The identity cookie is also SameSite=Lax, so a cross-site form post arrives without it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from app.errors import CrowdsourceError
from app.i18n.text import Text

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CrossSiteRequest(CrowdsourceError):
    code = "cross_site_request"
    http_status = 403


def _host_of(origin: str) -> str | None:
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def check_same_origin() -> None:
    """Raises CrossSiteRequest for a state-changing request from another site's page.

    The Origin's host is compared with the Host the request was sent to, without the scheme:
    behind a TLS-terminating ingress the app may see http while the page was https.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None:
        cross_site = origin == "null" or _host_of(origin) != request.host.lower()
    else:  # no Origin: a browser still says where the request came from
        cross_site = request.headers.get("Sec-Fetch-Site") == "cross-site"
    if cross_site:
        raise CrossSiteRequest(
            Text(
                "This request came from another site's page, so it was refused. "
                "Please use the Crowdsource pages."
            )
        )


def init_app(app: Flask) -> None:
    app.before_request(check_same_origin)
