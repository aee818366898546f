"""`crowdsource generate`, run as an operator runs it; the history it leaves, checked with SQL."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.conftest import CLI, TEST_SECRET


def generate(cli: CLI, database_url: str, *args: str) -> Any:
    return cli.run(
        "generate", *args, timeout=120, DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET
    )


def one(db: psycopg.Connection, query: str, params: Any = None) -> Any:
    row = db.execute(query, params).fetchone()
    assert row is not None
    return next(iter(row.values()))


def schema(db: psycopg.Connection) -> list[Any]:
    """Every index, constraint and trigger of the public schema, with its definition."""
    return db.execute(
        """SELECT 'index' AS what, indexname AS name, indexdef AS definition
             FROM pg_indexes WHERE schemaname = 'public'
           UNION ALL
           SELECT 'constraint', conrelid::regclass || '.' || conname, pg_get_constraintdef(oid)
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace
           UNION ALL
           SELECT 'trigger', tgrelid::regclass || '.' || tgname, tgenabled::text
             FROM pg_trigger WHERE NOT tgisinternal
           ORDER BY 1, 2"""
    ).fetchall()


def assert_consistent_history(db: psycopg.Connection, *, days: int) -> None:
    """The invariants every generated history keeps, whatever its size."""
    # The verdict rule (VOTES_TO_DECIDE = 2), and decided_at only and always for decisions.
    assert (
        one(
            db,
            """SELECT count(*) FROM contributions
                WHERE status <> CASE
                        WHEN accept_count >= 2 AND accept_count > reject_count THEN 'accepted'
                        WHEN reject_count >= 2 AND reject_count > accept_count THEN 'rejected'
                        ELSE 'pending' END
                   OR (status = 'pending') <> (decided_at IS NULL)
                   OR decided_at <= created_at""",
        )
        == 0
    )
    # One vote row per counted vote, none by the author, none before the recording or after
    # the decision, the deciding vote at decided_at.
    assert (
        one(
            db,
            """SELECT count(*) FROM contributions c
                 LEFT JOIN (SELECT contribution_id,
                                   count(*) FILTER (WHERE verdict = 'accept') AS accepts,
                                   count(*) FILTER (WHERE verdict = 'reject') AS rejects,
                                   max(created_at) AS last_vote
                              FROM validations GROUP BY contribution_id) v
                   ON v.contribution_id = c.id
                WHERE coalesce(v.accepts, 0) <> c.accept_count
                   OR coalesce(v.rejects, 0) <> c.reject_count
                   OR (c.decided_at IS NOT NULL AND v.last_vote <> c.decided_at)""",
        )
        == 0
    )
    assert (
        one(
            db,
            """SELECT count(*) FROM validations v JOIN contributions c ON c.id = v.contribution_id
                WHERE v.validator_id = c.contributor_id OR v.created_at < c.created_at
                   OR v.created_at > now()""",
        )
        == 0
    )
    # Each sentence's count is its recordings, within its language's cap, one per person.
    assert (
        one(
            db,
            """SELECT count(*) FROM dataset_rows d
                 JOIN languages l ON l.code = d.language_code
                 LEFT JOIN (SELECT item_id, count(*) AS n, count(DISTINCT contributor_id) AS people
                              FROM contributions GROUP BY item_id) c ON c.item_id = d.id
                WHERE d.contribution_count <> coalesce(c.n, 0) OR c.n <> c.people
                   OR d.contribution_count > l.max_recordings_per_item""",
        )
        == 0
    )
    # Within the history, after the author joined, demographics copied from the author.
    assert (
        one(
            db,
            """SELECT count(*) FROM contributions c JOIN contributors p ON p.id = c.contributor_id
                WHERE c.created_at < now() - make_interval(days => %s) OR c.created_at > now()
                   OR c.created_at < p.created_at
                   OR (c.age_group, c.gender, c.mother_tongue, c.region_code)
                      IS DISTINCT FROM (p.age_group, p.gender, p.mother_tongue, p.region_code)
                   OR c.duration_ms NOT BETWEEN 2000 AND 10000
                   OR c.media_key <> 'recordings/' || c.language_code || '/'
                                     || left(c.public_id::text, 2) || '/' || c.public_id || '.webm'
                   OR c.language_code <> (SELECT language_code FROM dataset_rows
                                           WHERE id = c.item_id)""",
            (days,),
        )
        == 0
    )


def test_generate_fills_an_empty_database_with_a_consistent_history(
    cli: CLI, database_url: str, db: psycopg.Connection
) -> None:
    schema_before = schema(db)

    result = generate(cli, database_url, "--contributors", "50", "--contributions", "2000")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("generated 50 contributors,")
    assert "2,000 recordings" in lines[-1]
    assert any(line.split()[0] == "recordings" and " s" in line for line in lines)
    assert one(db, "SELECT count(*) FROM contributors") == 50
    assert one(db, "SELECT count(*) FROM contributions") == 2000
    assert_consistent_history(db, days=365)
    # The indexes and constraints set aside during the load are back, exactly as they were.
    assert schema(db) == schema_before
    # New rows from the app get fresh ids after the generated ones.
    assert one(db, "SELECT nextval(pg_get_serial_sequence('contributions', 'id'))") == 2001


def test_generated_shares_are_roughly_as_asked(
    cli: CLI, database_url: str, db: psycopg.Connection
) -> None:
    result = generate(
        cli, database_url, "--contributors", "600", "--contributions", "20000",
        "--languages", "hi:3,ta:1", "--days", "90", "--seed", "7",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert_consistent_history(db, days=90)
    by_language = {
        row["language_code"]: row["share"]
        for row in db.execute(
            """SELECT language_code, count(*)::float / sum(count(*)) OVER () AS share
                 FROM contributions GROUP BY 1"""
        )
    }
    assert by_language == pytest.approx({"hi": 0.75, "ta": 0.25}, abs=0.01)
    by_status = {
        row["status"]: row["share"]
        for row in db.execute(
            """SELECT status, count(*)::float / sum(count(*)) OVER () AS share
                 FROM contributions GROUP BY 1"""
        )
    }
    assert by_status == pytest.approx({"accepted": 0.7, "rejected": 0.1, "pending": 0.2}, abs=0.03)
    profile = db.execute(
        """SELECT avg((age_group IS NULL)::int) AS age, avg((gender IS NULL)::int) AS gender,
                  avg((mother_tongue IS NULL)::int) AS tongue,
                  avg((region_code IS NULL)::int) AS region,
                  avg((display_name IS NOT NULL)::int) AS named,
                  avg(leaderboard_opt_in::int) AS opted_in
             FROM contributors"""
    ).fetchone()
    assert profile is not None
    for field in ("age", "gender", "tongue", "region"):
        assert 0.22 <= profile[field] <= 0.38, (field, profile[field])
    assert 0.05 <= profile["named"] <= 0.15
    assert 0.3 <= profile["opted_in"] / profile["named"] <= 0.7  # half the named, none else
    # People mostly speak the language they record and live where it is spoken.
    home = db.execute(
        """SELECT avg((c.mother_tongue = 'ta')::int) AS tongue,
                  avg((c.region_code IN ('TN', 'PY'))::int) AS region
             FROM contributions c WHERE c.language_code = 'ta'"""
    ).fetchone()
    assert home is not None and home["tongue"] > 0.7 and home["region"] > 0.6
    # Growth: the last quarter of the history holds more recordings than the first.
    first, last = (
        db.execute(
            """SELECT count(*) FILTER (WHERE created_at < now() - interval '67 days') AS first,
                  count(*) FILTER (WHERE created_at >= now() - interval '22 days') AS last
             FROM contributions"""
        )
        .fetchone()
        .values()
    )
    assert last > 1.5 * first


def test_generate_refuses_a_database_that_already_has_contributions(
    cli: CLI, database_url: str, db: psycopg.Connection
) -> None:
    assert (
        generate(cli, database_url, "--contributors", "50", "--contributions", "500").returncode
        == 0
    )

    again = generate(cli, database_url, "--contributors", "50", "--contributions", "500")

    assert again.returncode == 1
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crowdsource: error: ")
    assert "already holds 500 contributions" in lines[0] and "--append" in lines[0]
    assert one(db, "SELECT count(*) FROM contributions") == 500


def test_append_adds_a_second_consistent_history(
    cli: CLI, database_url: str, db: psycopg.Connection
) -> None:
    assert (
        generate(cli, database_url, "--contributors", "50", "--contributions", "500").returncode
        == 0
    )

    more = generate(cli, database_url, "--contributors", "60", "--contributions", "700", "--append")

    assert more.returncode == 0, more.stderr
    assert one(db, "SELECT count(*) FROM contributors") == 110
    assert one(db, "SELECT count(*) FROM contributions") == 1200
    assert_consistent_history(db, days=365)


def test_the_same_seed_makes_the_same_history_in_another_database(
    cli: CLI, database_url: str, db: psycopg.Connection, admin_url: str, template_db: str
) -> None:
    fingerprint = """SELECT md5(string_agg(concat_ws(',', contributor_id, item_id, status,
                                                    accept_count, reject_count, duration_ms),
                                          ';' ORDER BY id)) AS digest FROM contributions"""
    # The same seed and the same end of history (the day weights follow the clock otherwise:
    # two runs a minute apart could split the recordings over the days differently).
    args = ("--contributors", "50", "--contributions", "1500", "--seed", "42",
            "--now", "2026-12-07T12:00:00Z")  # fmt: skip
    assert generate(cli, database_url, *args).returncode == 0
    other = f"t_seed_{uuid.uuid4().hex[:12]}"
    other_url = psycopg.conninfo.make_conninfo(database_url, dbname=other)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(other), sql.Identifier(template_db)
            )
        )
    try:
        again = generate(cli, other_url, *args)

        assert again.returncode == 0, again.stderr
        with psycopg.connect(other_url, row_factory=psycopg.rows.dict_row) as other_db:
            assert one(other_db, fingerprint) == one(db, fingerprint)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(other))
            )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--languages", "hi,xx"), "unknown language code(s): xx"),
        (("--contributors", "20"), "--contributors must be at least 45"),
        (("--sentences-per-language", "10"), "give more --sentences-per-language"),
    ],
)
def test_generate_explains_what_it_cannot_make(
    cli: CLI, database_url: str, db: psycopg.Connection, args: tuple[str, ...], message: str
) -> None:
    result = generate(cli, database_url, *args)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert one(db, "SELECT count(*) FROM contributors") == 0


def test_generate_on_an_unmigrated_database_says_what_to_do(
    cli: CLI, empty_database_url: str
) -> None:
    result = generate(cli, empty_database_url)

    assert result.returncode == 2  # the schema check every command makes (ops/context.py)
    assert "crowdsource migrate up" in result.stderr


def test_a_bad_now_is_a_usage_error_naming_the_option(cli: CLI, database_url: str) -> None:
    result = generate(cli, database_url, "--now", "yesterday")

    assert result.returncode == 2
    assert "--now" in result.stderr and "'yesterday' is not an ISO 8601 timestamp" in result.stderr
