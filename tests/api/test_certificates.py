"""Certificates (issue #20): eligible from 5 contributions or 25 votes (not 4 or 24), the
name checked (hostile input refused, nothing stored), the PDF for its owner only, the public
check by code (JSON and page), the issuing limit, and erasure withdrawing the certificate."""

from __future__ import annotations

import re
import subprocess
import unicodedata
import uuid
from typing import Any

import psycopg
import pytest
from flask import Flask

from app.certificates.service import ALPHABET
from app.contributors.erase import erase_contributor
from app.security.limits import LIMITS, parse_rates
from tests.api.conftest import Person, count_rows, error_of, new_person

CODE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")
# Items of their own for each contribution (one contribution per person per item).
_CONTRIBUTE = """
WITH items AS (
    INSERT INTO dataset_rows (language_code, kind, text)
    SELECT %(language)s, 'sentence', 'वाक्य ' || md5(random()::text)
      FROM generate_series(1, %(n)s)
    RETURNING id)
INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                           idempotency_key, text)
SELECT gen_random_uuid(), %(who)s, id, %(language)s, 'transcription', md5(random()::text),
       'पाठ'
  FROM items
RETURNING id
"""
_VOTE = """
INSERT INTO validations (contribution_id, validator_id, verdict, counted)
SELECT unnest(%(ids)s::bigint[]), %(who)s, 'accept', false
"""
# (not counted toward a verdict, so the contributions' tallies stay 0/0: a vote cast all
# the same)


def give(db: psycopg.Connection, who: uuid.UUID, *, contributions: int = 0,
         validations: int = 0, language: str = "hi") -> None:  # fmt: skip
    """Store `contributions` of `who`'s and `validations` votes of theirs on someone else's."""
    if contributions:
        db.execute(_CONTRIBUTE, {"who": who, "n": contributions, "language": language})
    if validations:
        other = uuid.uuid4()
        db.execute("INSERT INTO contributors (id) VALUES (%s)", (other,))
        rows = db.execute(
            _CONTRIBUTE, {"who": other, "n": validations, "language": language}
        ).fetchall()
        db.execute(_VOTE, {"ids": [r["id"] for r in rows], "who": who})


def issue(client: Any, body: Any = None, **kwargs: Any) -> Any:
    return client.post("/api/v1/me/certificates", json=body if body is not None else {},
                       **kwargs)  # fmt: skip


@pytest.fixture
def volunteer(app: Flask, db: psycopg.Connection) -> Person:
    """A person with exactly enough contributions for a certificate."""
    someone = new_person(app)
    give(db, someone.contributor_id(), contributions=5)
    return someone


def test_four_contributions_are_not_enough_and_five_are(app: Flask, db) -> None:
    someone = new_person(app)
    give(db, someone.contributor_id(), contributions=4, validations=24)
    refused = issue(someone, {"name": "Asha"})
    assert error_of(refused) == (403, "not_eligible")
    assert "1" in refused.get_json()["error"]["message"]  # one more contribution, or one vote
    assert count_rows(db, "certificates") == 0

    give(db, someone.contributor_id(), contributions=1)
    answer = issue(someone, {"name": "Asha"})
    assert answer.status_code == 201, answer.get_json()
    certificate = answer.get_json()["certificate"]
    assert CODE.fullmatch(certificate["code"])
    assert certificate["url"] == f"/certificates/{certificate['code']}"
    assert certificate["pdf"] == f"/api/v1/me/certificates/{certificate['code']}.pdf"
    row = db.execute("SELECT * FROM certificates").fetchone()
    assert (row["code"], row["contributor_id"], row["name"]) == (
        certificate["code"], someone.contributor_id(), "Asha")  # fmt: skip
    assert (row["contributions"], row["validations"], row["languages"]) == (5, 24, ["hi"])


def test_twenty_four_votes_are_not_enough_and_twenty_five_are(app: Flask, db) -> None:
    someone = new_person(app)
    give(db, someone.contributor_id(), validations=24, language="ta")
    assert error_of(issue(someone, {"name": "Kavya"})) == (403, "not_eligible")
    give(db, someone.contributor_id(), validations=1, language="ur")
    answer = issue(someone, {"name": "Kavya"})
    assert answer.status_code == 201
    assert [x["code"] for x in answer.get_json()["certificate"]["languages"]] == ["ta", "ur"]
    row = db.execute("SELECT contributions, validations FROM certificates").fetchone()
    assert (row["contributions"], row["validations"]) == (0, 25)


def test_progress_says_what_is_still_needed(app: Flask, db) -> None:
    someone = new_person(app)
    give(db, someone.contributor_id(), contributions=3, validations=10)
    progress = someone.get("/api/v1/me/certificates").get_json()["progress"]
    assert progress == {
        "eligible": False, "contributions": 3, "validations": 10, "contributions_needed": 5,
        "validations_needed": 25, "languages": ["hi"],
    }  # fmt: skip


def test_the_name_defaults_to_the_display_name(volunteer: Person, db) -> None:
    assert error_of(issue(volunteer)) == (422, "name_required")
    assert volunteer.put("/api/v1/me/profile", json={"display_name": "Meera"}).status_code == 200
    assert issue(volunteer).get_json()["certificate"]["name"] == "Meera"


def test_the_name_is_stored_composed_with_single_spaces(volunteer: Person, db) -> None:
    decomposed = unicodedata.normalize("NFD", "  Zoë   Ñandú ")
    assert issue(volunteer, {"name": decomposed}).status_code == 201
    assert db.execute("SELECT name FROM certificates").fetchone()["name"] == "Zoë Ñandú"


def test_sixty_characters_are_taken(volunteer: Person, db) -> None:
    assert issue(volunteer, {"name": "क" * 60}).status_code == 201


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("", 422, "invalid_field"),
        ("   ", 422, "invalid_field"),
        (42, 422, "invalid_field"),
        (["Asha"], 422, "invalid_field"),
        ("x" * 61, 422, "too_long"),
        ("Asha\u202eahsA", 422, "unprintable_name"),  # a bidi override reverses what follows
        ("Asha\u2066x", 422, "unprintable_name"),
        ("Asha\x07", 422, "unprintable_name"),
        ("Asha\u200b", 422, "unprintable_name"),  # an invisible space
        ("Asha 😀", 422, "unprintable_name"),  # no face we embed draws it
        ("王小明", 422, "unprintable_name"),
        ("\u200d\u200c", 422, "unprintable_name"),  # joiners alone print nothing
        ("-- . --", 422, "unprintable_name"),
        ("Asha\x00", 400, "invalid_input"),
    ],
)
def test_hostile_names_are_refused_and_nothing_is_stored(
    volunteer: Person, db, name: Any, status: int, code: str
) -> None:
    answer = issue(volunteer, {"name": name})
    assert error_of(answer) == (status, code)
    assert count_rows(db, "certificates") == 0


def test_a_lone_surrogate_escape_is_refused(volunteer: Person, db) -> None:
    answer = volunteer.post("/api/v1/me/certificates", data='{"name": "A\\ud800"}',
                            content_type="application/json")  # fmt: skip
    assert error_of(answer) == (400, "invalid_input")
    assert count_rows(db, "certificates") == 0


def test_joiners_that_spell_a_name_are_kept(volunteer: Person, db) -> None:
    name = "ന്‍ കിരണ്‍"  # Malayalam chillu spelt with ZWJ
    assert "\u200d" in name
    assert issue(volunteer, {"name": name}).status_code == 201
    assert db.execute("SELECT name FROM certificates").fetchone()["name"] == name


def test_markup_in_a_name_is_shown_as_text(app: Flask, volunteer: Person, db) -> None:
    code = issue(volunteer, {"name": "<script>alert(1)</script>"}).get_json()["certificate"]["code"]
    page = new_person(app, session=False).get(f"/certificates/{code}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_the_same_certificate_again_is_the_same_one(volunteer: Person, db) -> None:
    first = issue(volunteer, {"name": "Asha"})
    again = issue(volunteer, {"name": "Asha"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    other = issue(volunteer, {"name": "Asha Rao"})
    assert other.status_code == 201
    assert other.get_json()["certificate"]["code"] != first.get_json()["certificate"]["code"]
    assert count_rows(db, "certificates") == 2


def test_only_the_owner_downloads_the_pdf(app: Flask, volunteer: Person, db) -> None:
    certificate = issue(volunteer, {"name": "क्षत्रिय श्रीमती"}).get_json()["certificate"]
    answer = volunteer.get(certificate["pdf"])
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf" and answer.data.startswith(b"%PDF")
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    text = subprocess.run(["pdftotext", "-", "-"], input=answer.data, capture_output=True,
                          check=True).stdout.decode()  # fmt: skip
    assert certificate["code"] in text
    fonts = subprocess.run(["pdffonts", "-"], input=answer.data, capture_output=True,
                           check=True).stdout.decode()  # fmt: skip
    assert "NotoSansDevanagari" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded

    assert error_of(new_person(app).get(certificate["pdf"])) == (404, "certificate_not_found")
    stranger = new_person(app, session=False)
    assert error_of(stranger.get(certificate["pdf"])) == (401, "no_session")


def test_anyone_checks_a_certificate_by_its_code(app: Flask, volunteer: Person, db) -> None:
    certificate = issue(volunteer, {"name": "عائشہ خان"}).get_json()["certificate"]
    visitor = new_person(app, session=False)
    checked = visitor.get(f"/api/v1/certificates/{certificate['code'].lower()}")
    assert checked.status_code == 200
    body = checked.get_json()["certificate"]
    assert {k: body[k] for k in ("code", "name", "contributions", "validations")} == {
        "code": certificate["code"], "name": "عائشہ خان", "contributions": 5, "validations": 0,
    }  # fmt: skip
    assert body["languages"][0]["native_name"] == "हिन्दी"
    page = visitor.get(f"/certificates/{certificate['code']}")
    assert page.status_code == 200 and "عائشہ خان" in page.get_data(as_text=True)


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC", "nonsense", "A" * 40])
def test_an_unknown_code_is_a_404(app: Flask, db, code: str) -> None:
    visitor = new_person(app, session=False)
    assert error_of(visitor.get(f"/api/v1/certificates/{code}")) == (404, "certificate_not_found")
    page = visitor.get(f"/certificates/{code}")
    assert page.status_code == 404 and "text/html" in page.content_type


def test_issuing_past_the_session_limit_gets_429(app: Flask, db) -> None:
    allowed = next(r.count for r in parse_rates(LIMITS["certificates.issue"].per_session)
                   if r.seconds == 3600)  # fmt: skip
    someone = new_person(app)
    give(db, someone.contributor_id(), contributions=5)
    answers = []
    for n in range(allowed + 1):
        someone.environ_base["REMOTE_ADDR"] = f"192.0.2.{100 + n}"
        answers.append(issue(someone, {"name": f"Asha {n}"}))
    assert [a.status_code for a in answers[:allowed]] == [201] * allowed
    assert error_of(answers[allowed]) == (429, "rate_limited")
    assert count_rows(db, "certificates") == allowed


def test_erasing_the_person_withdraws_the_certificate(app: Flask, volunteer: Person, db) -> None:
    code = issue(volunteer, {"name": "Asha"}).get_json()["certificate"]["code"]
    erase_contributor(db, volunteer.contributor_id())
    assert count_rows(db, "certificates") == 0
    visitor = new_person(app, session=False)
    assert error_of(visitor.get(f"/api/v1/certificates/{code}")) == (404, "certificate_not_found")
    assert visitor.get(f"/certificates/{code}").status_code == 404


def test_the_pdf_is_drawn_in_every_interface_language(volunteer: Person, db) -> None:
    from app.i18n.locales import LOCALES

    certificate = issue(volunteer, {"name": "عائشہ خان"}).get_json()["certificate"]
    for locale in LOCALES:
        answer = volunteer.get(certificate["pdf"], headers={"Accept-Language": locale.code})
        assert answer.status_code == 200 and answer.data.startswith(b"%PDF"), locale.code


def test_two_requests_at_once_for_the_same_certificate_store_one(
    app: Flask, volunteer: Person, db
) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from app.contributors.identity import COOKIE_NAME

    cookie = volunteer.get_cookie(COOKIE_NAME)
    assert cookie is not None
    twins = [new_person(app, session=False) for _ in range(2)]
    for twin in twins:  # the same session on two connections
        twin.set_cookie(COOKIE_NAME, cookie.value)
    barrier = Barrier(2)

    def ask(client: Person) -> int:
        barrier.wait()
        return int(issue(client, {"name": "Asha"}).status_code)

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(ask, twins))
    assert statuses == [200, 201]
    assert count_rows(db, "certificates") == 1
