"""The contributor pages as HTML: each one renders, links only to our own files, and carries
nothing inline (no <script> bodies, on…= handlers or style attributes), so a strict
Content-Security-Policy costs nothing. No browser needed."""

from __future__ import annotations

import re

import psycopg
import pytest
from flask.testing import FlaskClient

PAGES = ["/", "/speak", "/validate", "/speak/hi", "/validate/hi", "/profile", "/me/contributions",
         "/feedback", "/feedback?from=/speak/hi", "/privacy", "/certificate", "/key",
         "/my-data", "/me/badges"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_without_anything_inline(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # every script is a file
    assert re.findall(r"\son[a-z]+\s*=", page) == []  # no inline event handlers
    assert re.findall(r"\sstyle\s*=|<style", page) == []  # no inline styles
    for url in re.findall(r'\s(?:src|href)="([^"]*)"', page):
        assert url.startswith(("/", "?", "#")), f"{path} refers to another host: {url}"


def test_home_page_offers_speak_where_there_are_sentences_and_lists_the_rest_as_coming_soon(
    client: FlaskClient, db: psycopg.Connection
) -> None:
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', 'नमस्ते')"
    )

    page = client.get("/").get_data(as_text=True)

    assert 'href="/speak/hi"' in page
    assert 'href="/validate/hi"' not in page  # nothing recorded yet: nothing to check
    assert 'href="/speak/ur"' not in page and "Coming soon" in page  # no Urdu sentences yet
    assert 'lang="ur" dir="rtl">اردو</span>' in page  # listed, in its own script


def test_language_pages_show_the_language_in_its_own_script(client: FlaskClient) -> None:
    page = client.get("/speak/ur").get_data(as_text=True)

    assert '<span lang="ur" dir="rtl">اردو</span>' in page
    assert 'id="sentence" class="sentence" lang="ur" dir="rtl"' in page


@pytest.mark.parametrize("path", ["/speak/xx", "/validate/xx", "/speak/HI"])
def test_unknown_language_gets_a_page_saying_so(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that language" in response.get_data(as_text=True)
