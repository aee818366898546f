"""Languages with work come first (issue #21, "no dead ends"): the language list's counts of
sentences to record and recordings to check, the choosers' "Coming soon" group built from
them, and the speak page knowing whether its visitor ever worked on the language."""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
from flask.testing import FlaskClient

from tests.api.conftest import Person, record


def cards(page: str, group: str) -> list[str]:
    """The language codes of the cards in one group of a chooser ("ready" or "soon")."""
    start = page.find(f'id="languages-{group}"')
    if start < 0:
        return []
    end = page.find("</ul>", start)
    return re.findall(r'data-code="([a-z]+)"', page[start:end])


def test_the_list_counts_sentences_and_only_the_recordings_waiting_for_checks(
    client: FlaskClient,
    db: psycopg.Connection,
    person: Callable[[], Person],
    add_sentences: Callable[..., list[int]],
) -> None:
    items = add_sentences(3)
    speaker = person()
    waiting = record(speaker, items[0])
    decided = record(speaker, items[1])
    db.execute(
        "UPDATE contributions SET status = 'accepted', decided_at = now() WHERE public_id = %s",
        (decided,),
    )

    languages = {
        row["code"]: row for row in client.get("/api/v1/languages").get_json()["languages"]
    }

    assert (languages["hi"]["sentence_count"], languages["hi"]["clip_count"]) == (3, 1)
    assert (languages["ta"]["sentence_count"], languages["ta"]["clip_count"]) == (0, 0)
    assert waiting


def test_the_choosers_lead_with_languages_that_have_work_and_link_no_empty_page(
    client: FlaskClient, person: Callable[[], Person], add_sentences: Callable[..., list[int]]
) -> None:
    add_sentences(2)  # Hindi has sentences; no language has recordings
    add_sentences(1, language="ta")

    speak = client.get("/speak").get_data(as_text=True)
    assert cards(speak, "ready") == ["hi", "ta"]
    assert "ur" in cards(speak, "soon") and "hi" not in cards(speak, "soon")
    assert "/speak/ur" not in speak  # no Speak link to a language without sentences
    assert "Coming soon" in speak and "/feedback?from=/speak" in speak

    validate = client.get("/validate").get_data(as_text=True)
    assert cards(validate, "ready") == []
    assert {"hi", "ta", "ur"} <= set(cards(validate, "soon"))
    assert "/validate/hi" not in validate  # nothing to check anywhere yet
    assert "/speak/hi" in validate  # but Hindi can be recorded, which is how checks begin

    home = client.get("/").get_data(as_text=True)
    assert cards(home, "ready") == ["hi", "ta"]
    assert "/speak/hi" in home and "/validate/hi" not in home and "/speak/ur" not in home


def test_the_speak_page_knows_whether_its_visitor_recorded_or_skipped_there_before(
    person: Callable[[], Person], add_sentences: Callable[..., list[int]]
) -> None:
    items = add_sentences(2)
    newcomer, skipper, speaker = person(), person(), person()
    assert skipper.post(f"/api/v1/sentences/{items[0]}/skip").status_code == 200
    record(speaker, items[1])

    def worked(visitor: Person, code: str) -> str:
        page = visitor.get(f"/speak/{code}").get_data(as_text=True)
        found = re.search(r'id="speak" data-worked="(true|false)"', page)
        assert found is not None
        return found[1]

    assert worked(newcomer, "hi") == "false"
    assert worked(skipper, "hi") == "true"
    assert worked(speaker, "hi") == "true"
    assert worked(speaker, "ta") == "false"  # another language's work does not count
