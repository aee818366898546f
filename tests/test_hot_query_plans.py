"""On a generated history of one million recordings, every query the four hot endpoints run is
served by an index: no sequential scan of contributions, dataset rows, votes or people.

The history is made once for the module by `crowdsource generate`'s own function (about 40 s
on 2 cores), in a database of this test run's embedded server. Each query is imported from its
domain module and explained twice: with the values a request brings (PostgreSQL's custom plan,
what the first executions on a connection get) and as a generic plan (what a prepared statement
may switch to after five executions; psycopg prepares a query from its fifth run).
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
    _GET_SENTENCE,
    _INSERT_RECORDING,
    _PICK_SENTENCES,
    _RECORDED_BY,
)
from app.validate.service import (
    _GET_RECORDING,
    _INSERT_VOTE,
    _LOCK_RECORDING,
    _PICK_CLIPS,
    _STORE_COUNTS,
)
from ops.generate import generate_history, parse_mix
from tests.conftest import _fresh_database

RECORDINGS = 1_000_000
BIG_TABLES = {"contributions", "dataset_rows", "validations", "contributors", "skips"}


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
        print(f"\n{summary}\n1M history made in {time.monotonic() - started:.1f} s")
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
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
    return {
        "sentences: pick": (
            _PICK_SENTENCES,
            {"language": lang, "cap": 3, "report_limit": 3, "me": me, "count": 5},
        ),
        "store: find by key": (_FIND_BY_KEY, (me, "key-1")),
        "store: sentence": (_GET_SENTENCE, (v["item"],)),
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
        "store: count": (_COUNT_RECORDING, (v["item"],)),
        "store: totals": (_TOTALS, {"id": me}),
        "clips: pick": (
            _PICK_CLIPS,
            {"language": lang, "me": validator, "report_limit": 3, "count": 5},
        ),
        "vote: lock": (_LOCK_RECORDING, (v["recording"],)),
        "vote: insert": (
            _INSERT_VOTE,
            {"recording": 1, "validator": validator, "verdict": "accept"},
        ),
        "vote: counts": (_STORE_COUNTS, {"id": 1, "accepts": 1, "rejects": 0, "status": "pending"}),
        "audio: recording": (_GET_RECORDING, (v["recording"],)),
    }


def custom_plan(conn: psycopg.Connection[dict[str, Any]], query: str, params: Any) -> Any:
    return conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()["QUERY PLAN"]


def generic_plan(conn: psycopg.Connection[dict[str, Any]], query: str, params: Any) -> Any:
    """The plan a prepared statement gets when PostgreSQL stops re-planning it per value."""
    numbered = _numbered(query, params)
    return conn.execute("EXPLAIN (GENERIC_PLAN, FORMAT JSON) " + numbered).fetchone()["QUERY PLAN"]


def _numbered(query: str, params: Any) -> str:
    """psycopg's placeholders (%s, %(name)s) as PostgreSQL's ($1, $2...), as psycopg sends them."""
    names: dict[str, int] = {}
    counter = iter(range(1, 1000))

    def number(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return f"${next(counter)}"
        if match.group(1) not in names:
            names[match.group(1)] = next(counter)
        return f"${names[match.group(1)]}"

    return re.sub(r"%(?:\((\w+)\))?s", number, query)


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
