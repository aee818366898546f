"""On a generated history of one million recordings, every query the four hot endpoints run is
served by an index: no sequential scan of contributions, dataset rows, votes, people, clip
servings or validators' standing.

The history is made once for the module by `crowdsource generate`'s own function (about 40 s
on 2 cores), in a database of this test run's embedded server; what the generator does not
make is added as the service would have left it (TRUST_ROWS): the serving before a quarter of
the votes (half a million rows, plenty for the planner; all of them doubled the set-up time),
each validator's standing in their languages, and known answers on a tenth of the recordings
decided without dissent. Each query is imported from its domain module and explained twice:
with the values a request brings (PostgreSQL's custom plan, what the first executions on a
connection get) and as a generic plan (what a prepared statement may switch to after five
executions; psycopg prepares a query from its fifth run).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from app.contributors.service import _TOTALS
from app.speak.service import (
    _COUNT_RECORDING,
    _FIND_BY_KEY,
    _INSERT_RECORDING,
    _PICK_SENTENCES,
    _RECORDED_BY,
    _SENTENCE_TO_RECORD,
)
from app.validate.service import (
    _GET_RECORDING,
    _LOCK_RECORDING,
    _PICK_AND_SERVE,
    _PICK_CLIPS,
    _SERVE,
    _STORE_VOTE,
)
from app.validate.trust import (
    _LOCK_STANDING,
    _MAKE_STANDING,
    _PICK_KNOWN,
    _POOLS_READY,
    _READ_STANDING,
    _UPSERT_STANDING,
)
from ops.generate import generate_history, parse_mix
from tests.conftest import _fresh_database

RECORDINGS = 1_000_000
BIG_TABLES = {
    "contributions", "dataset_rows", "validations", "contributors", "skips", "clip_servings",
    "validator_standing",
}  # fmt: skip

# What the trust rules (app/validate/trust.py) would have left beside the generated votes.
TRUST_ROWS = [
    """INSERT INTO clip_servings (contributor_id, contribution_id, served_at)
       SELECT validator_id, contribution_id, created_at - interval '10 seconds' FROM validations
        WHERE id % 4 = 0""",
    """INSERT INTO validator_standing (validator_id, language_code, state)
       SELECT DISTINCT v.validator_id, c.language_code, 'counting'
         FROM validations v JOIN contributions c ON c.id = v.contribution_id""",
    """UPDATE contributions
          SET known_answer = CASE status WHEN 'accepted' THEN 'accept' ELSE 'reject' END,
              known_answer_source = 'majority'
        WHERE id % 10 = 0 AND (status = 'accepted' AND reject_count = 0
                               OR status = 'rejected' AND accept_count = 0)""",
    "VACUUM ANALYZE clip_servings, validator_standing, contributions",
]


@pytest.fixture(scope="module")
def history(admin_url: str, template_db: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """A migrated database holding 1M generated recordings (10k people, 9 languages, a year)."""
    for url in _fresh_database(admin_url, template_db):
        started = time.monotonic()
        summary = generate_history(url, {
            "contributors": 10_000, "contributions": RECORDINGS, "days": 365,
            "languages": parse_mix("hi,bn,ta,te,mr,en,kn,gu,ml"), "sentences_per_language": None,
            "seed": 1, "batch_size": 250_000, "append": False, "vacuum": True,
            "votes_to_decide": 2, "now": datetime.now(UTC),
        })  # fmt: skip
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
            for statement in TRUST_ROWS:
                conn.execute(statement)
            print(f"\n{summary}\n1M history made in {time.monotonic() - started:.1f} s")
            yield conn


@pytest.fixture(scope="module")
def values(history: psycopg.Connection[dict[str, Any]]) -> dict[str, Any]:
    """Realistic parameters: the biggest language, its busiest speaker and validator, one of
    their recordings and a sentence."""
    language = one(history, "SELECT language_code FROM contributions GROUP BY 1 "
                            "ORDER BY count(*) DESC LIMIT 1")  # fmt: skip
    speaker = one(history, "SELECT contributor_id FROM contributions WHERE language_code = %s "
                           "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", (language,))  # fmt: skip
    validator = one(history, "SELECT validator_id FROM validations GROUP BY 1 "
                             "ORDER BY count(*) DESC LIMIT 1")  # fmt: skip
    recording = one(history, "SELECT public_id FROM contributions WHERE contributor_id = %s "
                             "LIMIT 1", (speaker,))  # fmt: skip
    item = one(history, "SELECT item_id FROM contributions WHERE public_id = %s", (recording,))
    return {"language": language, "speaker": speaker, "validator": validator,
            "recording": recording, "item": item}  # fmt: skip


def one(conn: psycopg.Connection[dict[str, Any]], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return next(iter(row.values()))


def hot_queries(v: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each hot endpoint's statements, with the parameters a request gives them."""
    me, validator, lang = v["speaker"], v["validator"], v["language"]
    known = {"language": lang, "answer": "accept", "pool": 1, "me": validator}
    return {
        "sentences: pick": (
            _PICK_SENTENCES,
            {"language": lang, "cap": 3, "report_limit": 3, "me": me, "count": 5},
        ),
        "store: find by key": (_FIND_BY_KEY, (me, "key-1")),
        "store: sentence": (_SENTENCE_TO_RECORD, (v["item"],)),
        "store: recorded already": (_RECORDED_BY, (me, v["item"])),
        "store: insert": (
            _INSERT_RECORDING,
            {
                "public_id": uuid.uuid4(),
                "contributor": me,
                "item_id": v["item"],
                "language": lang,
                "key": "key-1",
                "media_key": "k",
                "media_type": "audio/wav",
                "size": 1,
                "duration_ms": 1000,
                "snr_db": 20.0,
                "measures": "{}",
                "device": None,
                "browser": None,
            },
        ),
        "store: count": (_COUNT_RECORDING, {"item_id": v["item"], "report_limit": 3}),
        "store: totals": (_TOTALS, {"id": me}),
        "clips: pick": (
            _PICK_CLIPS,
            {"language": lang, "me": validator, "report_limit": 3, "count": 5},
        ),
        "clips: pick and serve": (
            _PICK_AND_SERVE,
            {"language": lang, "me": validator, "report_limit": 3, "count": 5},
        ),
        "clips: standing made": (_MAKE_STANDING, {"me": validator, "language": lang}),
        "clips: standing": (_READ_STANDING, {"me": validator, "language": lang}),
        "clips: known-answer pools": (_POOLS_READY, {"language": lang, "enough": 4}),
        "clips: known answers": (_PICK_KNOWN, known | {"count": 1, "exclude": [1, 2]}),
        "clips: served": (_SERVE, {"me": validator, "ids": [1, 2, 3]}),
        "vote: standing": (_LOCK_STANDING, {"me": validator, "recording": v["recording"]}),
        "vote: standing made": (_UPSERT_STANDING, {"me": validator, "recording": v["recording"]}),
        "vote: lock": (
            _LOCK_RECORDING,
            {"id": v["recording"], "me": validator, "listen": 80},
        ),
        "vote: vote and counts": (
            _STORE_VOTE,
            {
                "id": 1,
                "validator": validator,
                "verdict": "accept",
                "role": "vote",
                "counted": True,
                "expected": None,
                "accepts": 1,
                "rejects": 0,
                "n": 2,
            },
        ),
        "audio: recording": (_GET_RECORDING, (v["recording"],)),
    }


def custom_plan(conn: psycopg.Connection[dict[str, Any]], query: str, params: Any) -> Any:
    return conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()["QUERY PLAN"]


def generic_plan(conn: psycopg.Connection[dict[str, Any]], query: str, params: Any) -> Any:
    """The plan a prepared statement gets when PostgreSQL stops re-planning it per value."""
    numbered = _numbered(query, params)
    return conn.execute("EXPLAIN (GENERIC_PLAN, FORMAT JSON) " + numbered).fetchone()["QUERY PLAN"]


def _numbered(query: str, params: Any) -> str:
    """psycopg's placeholders (%s, %(name)s) as PostgreSQL's ($1, $2...) and %% as %, as
    psycopg sends them: an int or bool parameter typed as psycopg types it (int2, int4 or
    int8 by its value), the others left for the server to deduce."""
    names: dict[str, int] = {}
    counter = iter(range(1, 1000))
    positional = iter(params) if isinstance(params, list | tuple) else iter(())

    def number(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is None:
            return f"${next(counter)}{_pg_type(next(positional, None))}"
        if match.group(1) not in names:
            names[match.group(1)] = next(counter)
        return f"${names[match.group(1)]}{_pg_type(params[match.group(1)])}"

    return re.sub(r"%%|%(?:\((\w+)\))?s", number, query)


def _pg_type(value: Any) -> str:
    """The cast that says the type psycopg sends `value` with, where the server could not
    deduce it from the query alone (a number compared in two places)."""
    if isinstance(value, bool):
        return "::bool"
    if isinstance(value, int):
        return (
            "::int2"
            if -(2**15) <= value < 2**15
            else "::int4"
            if -(2**31) <= value < 2**31
            else "::int8"
        )
    return ""


def scans(document: Any) -> list[tuple[str, str | None, str | None]]:
    if isinstance(document, str):
        document = json.loads(document)
    found: list[tuple[str, str | None, str | None]] = []
    nodes = [document[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        found.append((node["Node Type"], node.get("Relation Name"), node.get("Index Name")))
        nodes.extend(node.get("Plans", []))
    return found


def sequential_scans_of_big_tables(document: Any) -> list[str]:
    return [table for kind, table, _ in scans(document)
            if kind == "Seq Scan" and table in BIG_TABLES]  # fmt: skip


@pytest.mark.parametrize("planner", [custom_plan, generic_plan], ids=["custom", "generic"])
def test_hot_queries_never_scan_a_big_table_at_one_million_recordings(
    history: psycopg.Connection[dict[str, Any]], values: dict[str, Any], planner: Any
) -> None:
    assert one(history, "SELECT count(*) FROM contributions") == RECORDINGS

    offenders = {
        name: sequential_scans_of_big_tables(planner(history, query, params))
        for name, (query, params) in hot_queries(values).items()
    }

    assert {name: tables for name, tables in offenders.items() if tables} == {}


@pytest.mark.parametrize("planner", [custom_plan, generic_plan], ids=["custom", "generic"])
def test_picking_sentences_walks_the_to_contribute_index(
    history: psycopg.Connection[dict[str, Any]], values: dict[str, Any], planner: Any
) -> None:
    query, params = hot_queries(values)["sentences: pick"]

    found = scans(planner(history, query, params))

    assert any(index == "dataset_rows_to_contribute" for _, _, index in found), found


@pytest.mark.parametrize("planner", [custom_plan, generic_plan], ids=["custom", "generic"])
def test_picking_clips_walks_the_to_validate_index(
    history: psycopg.Connection[dict[str, Any]], values: dict[str, Any], planner: Any
) -> None:
    query, params = hot_queries(values)["clips: pick"]

    found = scans(planner(history, query, params))

    assert any(index == "contributions_to_validate" for _, _, index in found), found


def test_the_plan_check_sees_a_sequential_scan_when_there_is_one(
    history: psycopg.Connection[dict[str, Any]],
) -> None:
    unindexed = "SELECT id FROM contributions WHERE duration_ms = %s"

    assert sequential_scans_of_big_tables(custom_plan(history, unindexed, (1234,))) == [
        "contributions"
    ]
