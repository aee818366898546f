"""The OpenAPI operations and schemas of certificates (issue #20): progress toward one,
issuing, the PDF (its owner only) and the public check by code."""

from __future__ import annotations

from app.api.building import DB, JSON_BODY, Obj, op, path_param, request_body, returns
from app.api.schemas import (
    IGNORED_FIELDS,
    LANGUAGE_CODE,
    NOT_BLANK_PATTERN,
    Schema,
    array,
    count,
    enum,
    obj,
    object_of,
    text,
)
from app.certificates.service import (
    CONTRIBUTIONS_NEEDED,
    NAME_MAX,
    VALIDATIONS_NEEDED,
)

CODE_PATTERN = "^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$"
_CODE = path_param(
    "code",
    {"type": "string", "maxLength": 32},
    "The verification code, `XXXX-XXXX-XXXX` (any case). One that names no certificate, or "
    "a withdrawn one, answers 404 `certificate_not_found`.",
)
_CODE_TEXT = text(pattern=CODE_PATTERN, examples=["K7QM-3XRT-9HWB"])
# What the name may never hold, whatever else: C0 and C1 controls and the bidi controls
# (the server refuses every other format or unassigned character too, `unprintable_name`).
_NAME_FORBIDDEN = "[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]"
_LANGUAGE = obj(
    code=LANGUAGE_CODE,
    name=text(description="In English."),
    native_name=text(description="In its own script."),
    script=text(description="ISO 15924."),
    direction=enum("ltr", "rtl"),
)
_CERTIFICATE: dict[str, Schema] = {
    "code": _CODE_TEXT,
    "name": text(minLength=1, maxLength=NAME_MAX, description="As printed."),
    "languages": array(_LANGUAGE),
    "contributions": count(),
    "validations": count(),
    "issued_at": text(format="date-time"),
    "url": text(format="uri-reference", description="The public page that checks it."),
}

CERTIFICATE_SCHEMAS: dict[str, Schema] = {
    "CertificateProgress": obj(
        progress=obj(
            eligible={"type": "boolean"},
            contributions=count(description="Contributions as stored, any task."),
            validations=count(description="Votes cast."),
            contributions_needed={"const": CONTRIBUTIONS_NEEDED},
            validations_needed={"const": VALIDATIONS_NEEDED},
            languages=array(LANGUAGE_CODE),
        ),
        certificates=array(
            obj(
                code=_CODE_TEXT,
                name=text(),
                contributions=count(),
                validations=count(),
                issued_at=text(format="date-time"),
                url=text(format="uri-reference"),
                pdf=text(format="uri-reference"),
            )
        ),
    ),
    "CertificateRequest": {
        **obj(
            ("name",),
            closed=False,
            name=text(
                minLength=1,
                maxLength=NAME_MAX,
                pattern=NOT_BLANK_PATTERN,
                description=f"The name to print, at most {NAME_MAX} characters once white "
                "space is collapsed and the text NFC-normalised (longer: 422 `too_long`). "
                "Absent or null: the profile's display name (none: 422 `name_required`).",
            ),
        ),
        **IGNORED_FIELDS,
        "description": "Other fields are ignored.",
    },
    "CertificateIssued": obj(
        certificate=object_of({**_CERTIFICATE, "pdf": text(format="uri-reference")})
    ),
    "CertificateCheck": obj(certificate=object_of(_CERTIFICATE)),
}
CERTIFICATE_SCHEMAS["CertificateRequest"]["properties"]["name"]["not"] = {
    "pattern": _NAME_FORBIDDEN
}
CERTIFICATE_SCHEMAS["CertificateRequest"]["properties"]["name"]["type"] = ["string", "null"]

_PDF: Obj = {
    "description": "The certificate, A4 landscape, its fixed words in the request's "
    "language (Accept-Language, then the interface-language cookie).",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
}


def certificate_operations() -> list[tuple[str, str, Obj]]:
    """Certificates: progress, issuing, the PDF, the public check."""
    return [
        op("GET /me/certificates", "certificates.mine", "Progress toward a certificate",
            {200: returns("CertificateProgress", "The visitor's counts and the certificates "
                        "issued to them (the 20 newest).")},
            errors=DB),
        op("POST /me/certificates", "certificates.issue", "Get a certificate",
            {201: returns("CertificateIssued", "Issued."),
             200: returns("CertificateIssued", "The same name, languages and counts as an "
                        "earlier certificate: that one again.")},
            body=request_body("CertificateRequest"),
            errors=(*DB, *JSON_BODY, "invalid_field", "name_required", "too_long",
                    "unprintable_name", "not_eligible"),
            description=f"Needs at least {CONTRIBUTIONS_NEEDED} contributions (any task, "
            f"as stored) or {VALIDATIONS_NEEDED} votes cast: otherwise `403 not_eligible`, "
            "whose message says what is still to do. The name is NFC-normalised; characters "
            "no embedded font can draw, and control or format characters (bidi overrides), "
            "answer `422 unprintable_name`. Limited per session and per address."),
        op("GET /me/certificates/{code}.pdf", "certificates.download", "The certificate's PDF",
            {200: _PDF},
            params=(_CODE,),
            errors=(*DB, "no_session", "certificate_not_found", "fonts_missing"),
            description="Only for the session it was issued to; anyone else's code answers "
            "404 `certificate_not_found`."),
        op("GET /certificates/{code}", "certificates.check", "Check a certificate",
            {200: returns("CertificateCheck", "What the certificate says.")},
            params=(_CODE,),
            errors=(*DB, "certificate_not_found"),
            description="No session needed. A certificate is withdrawn when its holder is "
            "erased: its code then answers 404."),
    ]  # fmt: skip
