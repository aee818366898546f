"""Certificates over HTTP: the person's progress and their certificates, issuing one, the
PDF (its owner only), and the public check by code (JSON, and a page that needs no session).
The PDF's fixed words are in the request's language (app/i18n/runtime.py)."""

from __future__ import annotations

from babel.dates import format_date
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from app import deps
from app.certificates.pdf import Content, Labels, render_certificate
from app.certificates.service import (
    CONTRIBUTIONS_NEEDED,
    VALIDATIONS_NEEDED,
    Certificate,
    CertificateNotFound,
    find_certificate,
    issue_certificate,
    links,
    my_certificate,
    my_certificates,
    progress,
)
from app.contributors.identity import current_contributor_id, require_session
from app.i18n.runtime import current_locale, format_number, gettext, ngettext
from app.inputs import json_body
from app.web.views import issue_session_on_page_view

bp = Blueprint("certificates", __name__, url_prefix="/api/v1")
pages = Blueprint("certificate_pages", __name__)
pages.after_request(issue_session_on_page_view)


@bp.get("/me/certificates")
def mine() -> Response:
    """Progress toward a certificate, and the certificates already issued."""
    contributor_id = current_contributor_id()
    with deps.database().connection() as conn:
        done = progress(conn, contributor_id)
        issued = my_certificates(conn, contributor_id)
    return jsonify({"progress": done.as_json(), "certificates": issued})


@bp.post("/me/certificates")
def issue() -> tuple[Response, int]:
    """Issue a certificate (201; 200 with the same one when nothing changed)."""
    body = json_body()
    contributor_id = require_session()
    with deps.database().connection() as conn:
        code, new = issue_certificate(conn, contributor_id, body.get("name"))
        certificate = find_certificate(conn, code)
    return jsonify({"certificate": {**certificate.as_json(), **links(code)}}), 201 if new else 200


def _labels(certificate: Certificate, url: str) -> Labels:
    issued = format_date(certificate.issued_at, format="long", locale=current_locale().cldr)
    n, m = certificate.contributions, certificate.validations
    return Labels(
        title=gettext("Certificate of contribution"),
        # Translators: on the certificate, above the volunteer's name.
        certifies=gettext("Presented to"),
        # Translators: on the certificate, below the name; the languages' names follow.
        contributed=gettext("for contributing to open language datasets in"),
        contributions=ngettext("%(num)s contribution", "%(num)s contributions", n,
                               num=format_number(n)),
        validations=ngettext("%(num)s validation", "%(num)s validations", m,
                             num=format_number(m)),
        issued=gettext("Issued on %(date)s", date=issued),
        code=gettext("Verification code: %(code)s", code=certificate.code),
        check=gettext("Check this certificate at %(url)s", url=url),
    )  # fmt: skip


@bp.get("/me/certificates/<code>.pdf")
def download(code: str) -> Response:
    """The PDF of one of the person's certificates (someone else's: 404)."""
    contributor_id = require_session()
    with deps.database().connection() as conn:
        certificate = my_certificate(conn, contributor_id, code)
    url = url_for("certificate_pages.verify", code=certificate.code, _external=True)
    content = Content(
        name=certificate.name,
        language_names=[language["native_name"] for language in certificate.languages],
        url=url,
    )
    response = Response(render_certificate(content, _labels(certificate, url)),
                        mimetype="application/pdf")  # fmt: skip
    filename = f"certificate-{certificate.code}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/certificates/<code>")
def check(code: str) -> Response:
    """A certificate by its code, for anyone holding it (404 when there is none)."""
    with deps.database().connection() as conn:
        return jsonify({"certificate": find_certificate(conn, code).as_json()})


@pages.get("/certificate")
def certificate_page() -> str:
    """The person's progress toward a certificate and the form that issues it."""
    return render_template("certificate.html", active="certificate",
                           contributions_needed=CONTRIBUTIONS_NEEDED,
                           validations_needed=VALIDATIONS_NEEDED)  # fmt: skip


@pages.get("/certificates/<code>")
def verify(code: str) -> tuple[str, int]:
    """The public check of a certificate: what it says, or that there is no such one."""
    with deps.database().connection() as conn:
        try:
            found: Certificate | None = find_certificate(conn, code)
        except CertificateNotFound:
            found = None
    status = 200 if found else 404
    return render_template("certificate_verify.html", certificate=found,
                           code=code.strip()[:32], path=request.path), status  # fmt: skip
