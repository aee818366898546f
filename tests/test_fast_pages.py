"""Fast pages (issue #21): compressed responses, content-hashed static files cached for a year,
pages revalidated by ETag, preloads, and error pages for browsers vs JSON for API clients.

Through the app's test client on a real database (tests/conftest.py)."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from app.web import assets
from tests.api.conftest import error_of, new_person

PAGES = [
    "/",
    "/speak",
    "/validate",
    "/speak/hi",
    "/validate/hi",
    "/transcribe/hi",
    "/label/hi",
    "/translate",
    "/translate/en/hi",
    "/validate/label/hi",
    "/me/contributions",
    "/me/badges",
    "/profile",
    "/my-data",
    "/dashboard",
    "/feedback",
    "/key",
    "/privacy",
    "/certificate",
]
HASHED = re.compile(r"^/static/(?:.+/)?[^/]+\.[0-9a-f]{8}\.[a-z0-9]+$")
STATIC_REF = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")
JS_IMPORT = re.compile(r"""\bfrom\s*["'](\.[^"']+)["']""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)["']?\s*\)""")
IMMUTABLE = "public, max-age=31536000, immutable"


def identity_body(response: Any) -> bytes:
    """The response's body decoded from its Content-Encoding."""
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return bytes(brotli.decompress(data))
    if encoding == "gzip":
        return gzip.decompress(data)
    assert encoding is None, encoding
    return bytes(data)


def get(client: FlaskClient, path: str, encoding: str = "identity", **headers: str) -> Any:
    return client.get(path, headers={"Accept-Encoding": encoding, **headers})


def _png() -> Response:
    return Response(b"\x89PNG" + b"\0" * 5000, mimetype="image/png")


def _audio() -> Response:
    return Response(b"\0" * 5000, mimetype="audio/webm")


def _encoded() -> Response:
    body = gzip.compress(b"{}" * 4000)
    return Response(body, mimetype="application/json", headers={"Content-Encoding": "gzip"})


def _streamed() -> Response:
    return Response((b"x" * 1000 for _ in range(5)), mimetype="text/plain")


def _small() -> Response:
    return Response(b'{"ok": true}', mimetype="application/json")


def _broken() -> str:
    raise RuntimeError("a bug")


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    """A browser that has its session already (its pages set no cookie); the app has the test
    routes (added before its first request, as Flask requires)."""
    for view in (_png, _audio, _encoded, _streamed, _small, _broken):
        app.add_url_rule(f"/api/v1/_test/{view.__name__[1:]}", view_func=view)
    app.add_url_rule("/_test/broken", view_func=_broken)
    return new_person(app)


def test_every_page_names_hashed_files_and_their_imports_resolve(visitor: FlaskClient) -> None:
    fetched: set[str] = set()

    def follow(url: str) -> None:
        if url in fetched:
            return
        fetched.add(url)
        assert HASHED.match(url), f"{url} is not a content-hashed name"
        response = get(visitor, url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        base = url.rsplit("/", 1)[0]
        if url.endswith(".js"):
            for spec in JS_IMPORT.findall(response.get_data(as_text=True)):
                follow(f"{base}/{spec.removeprefix('./')}")
        if url.endswith(".css"):
            for ref in CSS_URL.findall(response.get_data(as_text=True)):
                if not ref.startswith("data:"):
                    follow(ref if ref.startswith("/") else f"{base}/{ref}")

    for page in PAGES:
        response = get(visitor, page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        refs = STATIC_REF.findall(html)
        assert any(ref.endswith(".js") for ref in refs), page
        assert any(ref.endswith(".css") for ref in refs), page
        for ref in refs:
            follow(ref)
    # every page's one script is its bundle; the stylesheets reach the fonts
    assert any("/bundles/speak~" in url for url in fetched)
    assert any(url.endswith(".woff2") for url in fetched)


def test_the_speak_page_loads_one_bundle_of_its_modules_and_preloads_no_font(
    visitor: FlaskClient,
) -> None:
    html = get(visitor, "/speak/hi").get_data(as_text=True)
    scripts = re.findall(r'<script type="module" src="([^"]+)"></script>', html)
    assert len(scripts) == 1, scripts
    assert re.fullmatch(r"/static/bundles/speak~locale-switch~offline\.[0-9a-f]{8}\.js", scripts[0])
    assert "modulepreload" not in html
    assert 'as="font"' not in html  # a phone with the face uses its own (fonts.css local())
    response = get(visitor, scripts[0])
    assert response.headers["Cache-Control"] == IMMUTABLE
    bundle = response.get_data(as_text=True)
    modules = re.findall(r"^// (js/[a-z0-9-]+\.js)$", bundle, re.MULTILINE)
    assert len(modules) == len(set(modules))  # each module once
    assert {"js/api.js", "js/i18n.js", "js/recorder.js", "js/ui.js", "js/speak.js"} <= set(modules)
    # in dependency order: what a module imports comes before it; the entries in their order
    assert modules.index("js/api.js") < modules.index("js/speak.js")
    assert modules.index("js/speak.js") < modules.index("js/locale-switch.js")
    assert not re.search(r"^\s*(import|export)\b", bundle, re.MULTILINE)


@pytest.mark.parametrize(
    ("page", "api"),
    [("/speak/hi", "/api/v1/languages/hi/sentences?count=5"),
     ("/validate/hi", "/api/v1/languages/hi/clips?count=5")],
)  # fmt: skip
def test_speak_and_validate_ask_for_their_first_items_with_their_script(
    visitor: FlaskClient, page: str, api: str
) -> None:
    """The preload's address is the one the page's script asks for first (its round of
    data-session-size items), so the script takes the preloaded answer."""
    html = get(visitor, page).get_data(as_text=True)
    preload = re.search(
        r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)">', html
    )
    assert preload is not None and preload.group(1).replace("&amp;", "&") == api
    assert 'data-session-size="5"' in html
    assert get(visitor, api).status_code == 200


def test_every_script_bundles_into_valid_javascript_and_bad_bundle_names_are_404(
    app: Flask, visitor: FlaskClient, tmp_path: Path
) -> None:
    with app.app_context():
        files = assets.manifest()
        for name in files.by_name:
            if name.startswith("js/"):
                # raises BundleError on a form it cannot take; node parses what it gives
                module = tmp_path / f"{Path(name).stem}.mjs"
                module.write_bytes(files.bundle((name,)).body)
                checked = subprocess.run(["node", "--check", str(module)], capture_output=True)
                assert checked.returncode == 0, (name, checked.stderr.decode()[-2000:])
    stale = get(visitor, "/static/bundles/speak~offline.0000aaaa.js")
    assert stale.status_code == 200
    assert stale.headers["Cache-Control"] == "no-cache"  # another deployment's name: revalidated
    for bad in ("bundles/speak~nothing.js", "bundles/../speak.js", "bundles/Speak.js", "bundles/"):
        assert get(visitor, f"/static/{bad}").status_code == 404, bad


def test_plain_static_names_still_work_and_are_revalidated(visitor: FlaskClient) -> None:
    response = get(visitor, "/static/js/speak.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    # its imports name the hashed files, as the hashed copy's do
    assert re.search(r'from "\./api\.[0-9a-f]{8}\.js"', response.get_data(as_text=True))
    again = get(visitor, "/static/js/speak.js", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert get(visitor, "/static/js/no-such.js").status_code == 404
    # a hashed name of another deployment (a rolling update): today's file, revalidated
    stale = get(visitor, "/static/js/speak.0000aaaa.js")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert stale.get_data() == response.get_data()
    assert get(visitor, "/static/js/nothing.0000aaaa.js").status_code == 404


def static_url(client: FlaskClient, page: str, name: str) -> str:
    html = get(client, page).get_data(as_text=True)
    return next(
        ref for ref in STATIC_REF.findall(html) if f"/{name}." in ref or f"/bundles/{name}~" in ref
    )


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_scripts_styles_pages_and_json_are_compressed(visitor: FlaskClient, encoding: str) -> None:
    script = static_url(visitor, "/speak/hi", "speak")
    style = static_url(visitor, "/speak/hi", "site")
    for url in (script, style, "/speak/hi", "/api/v1/languages"):
        plain = get(visitor, url)
        packed = get(visitor, url, f"{encoding}, deflate;q=0.5")
        assert plain.status_code == packed.status_code == 200, url
        assert "Content-Encoding" not in plain.headers, url
        assert packed.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in packed.headers["Vary"], url
        assert "Accept-Encoding" in plain.headers["Vary"], url
        assert int(packed.headers["Content-Length"]) < int(plain.headers["Content-Length"])
        if url.startswith("/static/"):
            assert identity_body(packed) == plain.get_data(), url
            assert packed.headers["ETag"] != plain.headers["ETag"]
            assert encoding in packed.headers["ETag"]
        else:  # the JSON and page differ per request only in what they are made of
            assert identity_body(packed)[:200] == plain.get_data()[:200], url


def test_brotli_is_preferred_and_a_refused_encoding_is_not_used(visitor: FlaskClient) -> None:
    script = static_url(visitor, "/", "home")
    assert get(visitor, script, "gzip, deflate, br").headers["Content-Encoding"] == "br"
    assert get(visitor, script, "br;q=0, gzip").headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in get(visitor, script, "br;q=0, gzip;q=0").headers
    assert "Content-Encoding" not in visitor.get(script, headers={"Accept-Encoding": ""}).headers


def test_a_compressed_static_file_answers_304_for_its_own_etag_only(visitor: FlaskClient) -> None:
    script = static_url(visitor, "/speak/hi", "speak")
    br = get(visitor, script, "br")
    gz = get(visitor, script, "gzip")
    assert get(visitor, script, "br", **{"If-None-Match": br.headers["ETag"]}).status_code == 304
    # a gzip body's tag does not stand for the brotli body
    mixed = get(visitor, script, "br", **{"If-None-Match": gz.headers["ETag"]})
    assert mixed.status_code == 200 and mixed.headers["Content-Encoding"] == "br"
    assert identity_body(mixed) == identity_body(gz)


def test_no_compression_for_fonts_images_zip_small_or_already_encoded(
    visitor: FlaskClient,
) -> None:
    for name in ("png", "audio", "streamed", "small"):
        response = get(visitor, f"/api/v1/_test/{name}", "br, gzip")
        assert "Content-Encoding" not in response.headers, name
    encoded_answer = get(visitor, "/api/v1/_test/encoded", "br, gzip")
    assert encoded_answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(encoded_answer.get_data()) == b"{}" * 4000
    fonts_css = get(visitor, static_url(visitor, "/speak/hi", "fonts")).get_data(as_text=True)
    face = re.search(r'url\("(noto-sans-devanagari-400\.[0-9a-f]{8}\.woff2)"\)', fonts_css)
    assert face is not None
    font = f"/static/fonts/{face.group(1)}"
    font_answer = get(visitor, font, "br, gzip")
    assert font_answer.status_code == 200 and "Content-Encoding" not in font_answer.headers
    assert font_answer.headers["Cache-Control"] == IMMUTABLE
    # the export zip streams, uncompressed
    export = get(visitor, "/api/v1/me/export", "br, gzip")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert export.is_streamed and "Content-Encoding" not in export.headers


def test_pages_are_revalidated_by_etag(visitor: FlaskClient) -> None:
    for page in ("/", "/speak/hi", "/privacy"):
        for encoding in ("identity", "br", "gzip"):
            first = get(visitor, page, encoding)
            assert first.status_code == 200
            assert "no-cache" in first.headers["Cache-Control"]
            assert "max-age" not in first.headers["Cache-Control"]
            etag = first.headers["ETag"]
            again = get(visitor, page, encoding, **{"If-None-Match": etag})
            assert again.status_code == 304, (page, encoding)
            assert again.get_data() == b"" and again.headers["ETag"] == etag
            assert "Content-Security-Policy" in again.headers


def test_a_page_that_sets_a_cookie_is_never_a_304(app: Flask, visitor: FlaskClient) -> None:
    etag = get(visitor, "/privacy").headers["ETag"]
    newcomer = app.test_client()  # no session yet: the page view brings one
    response = get(newcomer, "/privacy", **{"If-None-Match": etag})
    assert response.status_code == 200
    assert "Set-Cookie" in response.headers
    assert "ETag" not in response.headers
    assert "<h1" in response.get_data(as_text=True)


def test_unknown_addresses_answer_a_page_to_browsers_and_json_to_api_clients(
    visitor: FlaskClient,
) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = get(visitor, "/no/such/page", Accept=browser)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<h1>" in page.get_data(as_text=True)
    assert error_of(get(visitor, "/no/such/page", Accept="application/json")) == (404, "not_found")
    assert error_of(get(visitor, "/no/such/page")) == (404, "not_found")  # Accept */*
    # the API answers JSON whatever the client prefers
    api = get(visitor, "/api/v1/no-such", Accept=browser)
    assert error_of(api) == (404, "not_found")
    assert error_of(get(visitor, "/static/js/gone.js", Accept=browser)) == (404, "not_found")


def test_a_failure_answers_a_page_to_browsers_and_json_to_api_clients(
    visitor: FlaskClient,
) -> None:
    browser = "text/html,*/*;q=0.8"
    page = get(visitor, "/_test/broken", "br", Accept=browser)
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "a bug" not in identity_body(page).decode()
    assert "<h1>" in identity_body(page).decode()
    assert "ETag" not in page.headers  # an error page is not revalidated
    assert error_of(get(visitor, "/_test/broken", Accept="application/json")) == (
        500,
        "internal_error",
    )
    assert error_of(get(visitor, "/api/v1/_test/broken", Accept=browser)) == (
        500,
        "internal_error",
    )


def test_published_dashboard_json_is_compressed_and_keeps_its_cache_headers(
    app: Flask, visitor: FlaskClient
) -> None:
    storage = app.extensions["crowdsource.dashboard_storage"]
    body = (
        b'{"rows": [' + b",".join(b'{"language": "hi", "hours": 1.5}' for _ in range(200)) + b"]}"
    )
    immutable = "public, max-age=31536000, immutable"
    storage.put("public/dashboard/t.json", body, content_type="application/json",
                cache_control=immutable)  # fmt: skip
    storage.put("public/dashboard/t.bin", body, content_type="application/octet-stream")
    packed = get(visitor, "/public/dashboard/t.json", "br")
    assert packed.headers["Content-Encoding"] == "br"
    assert identity_body(packed) == body and packed.headers["Cache-Control"] == immutable
    assert "Accept-Encoding" in packed.headers["Vary"]
    other = get(visitor, "/public/dashboard/t.bin", "br")
    assert other.is_streamed and "Content-Encoding" not in other.headers
    assert other.get_data() == body


def test_only_the_task_pages_are_marked_as_shells_for_the_service_worker(
    visitor: FlaskClient,
) -> None:
    """The worker shows a marked page from its copy and refreshes it behind (sw.js): only pages
    whose HTML is the same for everyone in a language and interface language."""
    for page in ("/speak/hi", "/validate/hi", "/transcribe/hi", "/label/hi", "/translate/en/hi"):
        assert get(visitor, page).headers.get("X-Page-Shell") == "1", page
    for page in ("/", "/speak", "/profile", "/me/contributions", "/dashboard", "/speak/xx"):
        assert "X-Page-Shell" not in get(visitor, page).headers, page
