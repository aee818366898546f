"""What `crowdsource bench`'s requests need, made before the run: people with sessions, the
sentences and recordings of one language, and the state the rules ask of them.

People get their sessions through the API (`POST /api/v1/session`, as a page's script does).
The rest is arranged in the database, as the history itself is: the benchmark measures the
endpoints doing their ordinary work, not a script waiting for the rules to let it in.
- Validators are in good standing in the language (no warm-up: their votes count, as a
  regular validator's do) and have been handed, an hour ago, every clip they will vote on
  (the listening rule: a vote counts only once the clip could have been heard), before it
  was decided (see _SERVINGS). The run checks that every vote it made counted.
- The language takes up to 100 recordings per sentence (the schema's maximum), so that the
  store run's uploads are not refused as `sentence_full` once a sentence has its usual 3:
  at the store's ~200 req/s a sentence of 5,000 meets 100 after about 40 minutes of load.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import requests
from itsdangerous import BadSignature, URLSafeSerializer

from app.contributors.identity import read_session_value
from app.errors import CrowdsourceError

# The session cookie's signing salt (app/contributors/identity.py): the benchmark reads its
# validators' ids from their cookies to arrange their servings.
_COOKIE_SALT = "crowdsource.contributor"
MIN_PEOPLE = 64
MAX_RECORDINGS = 20_000
MAX_PER_SENTENCE = 100  # languages.max_recordings_per_item's upper bound


class BenchError(CrowdsourceError):
    code = "bench_failed"


@dataclass(frozen=True)
class Fixture:
    """What the requests need: people's cookies, sentences to record, recordings to vote on."""

    speakers: list[str]
    validators: list[str]
    sentence_ids: list[int]
    recording_ids: list[str]
    language: str


def make_fixture(base: str, url: str, sentences: int, writes: int, secret: str) -> Fixture:
    """New speakers and validators with sessions from the API (each a signed cookie), the
    sentences and recordings of one language they will use, enough people that `writes`
    requests are each a new (person, item) pair, and the arrangements the rules need (see the
    module's docstring). `secret` is the app's SECRET_KEY."""
    with psycopg.connect(url) as conn:
        language = conn.execute(
            "SELECT language_code FROM dataset_rows WHERE kind = 'sentence'"
            " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
        if language is None:
            raise BenchError("the database holds no sentences")
        sentence_ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM dataset_rows WHERE language_code = %s AND kind = 'sentence'"
                " ORDER BY id LIMIT %s",
                (language[0], sentences),
            )
        ]
        # A bounded sample keeps wrk's script small on a large history; recordings of
        # retired sentences take no votes.
        recordings = conn.execute(
            "SELECT c.id, c.public_id FROM contributions c JOIN dataset_rows d ON d.id = c.item_id"
            " WHERE c.language_code = %s AND d.is_active ORDER BY c.id LIMIT %s",
            (language[0], MAX_RECORDINGS),
        ).fetchall()
    if not recordings:
        raise BenchError("the database holds no recordings to vote on")
    people = max(MIN_PEOPLE, -(-writes // min(len(sentence_ids), len(recordings))))

    def new_person(_: int) -> str:
        response = requests.post(f"{base}/api/v1/session", timeout=10)
        if response.status_code != 201 or "cs_id" not in response.cookies:
            raise BenchError(f"could not make a contributor: HTTP {response.status_code}")
        return f"cs_id={response.cookies['cs_id']}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        cookies = list(pool.map(new_person, range(2 * people)))
    fixture = Fixture(
        cookies[:people],
        cookies[people:],
        sentence_ids,
        [str(public_id) for _, public_id in recordings],
        language[0],
    )
    validators = [_contributor_id(cookie, secret) for cookie in fixture.validators]
    _arrange(url, fixture.language, validators, [row_id for row_id, _ in recordings], writes)
    return fixture


def _contributor_id(cookie: str, secret: str) -> uuid.UUID:
    """The contributor id inside a `cs_id=...` session cookie."""
    try:
        value = URLSafeSerializer(secret, salt=_COOKIE_SALT).loads(cookie.split("=", 1)[1])
        return read_session_value(value)[0]
    except (BadSignature, ValueError, TypeError) as exc:
        raise BenchError("the app's session cookie could not be read") from exc


# The (validator, recording) pair of the n-th vote, as the vote script numbers them
# (ops/bench_load.py's pair(): n = q * people + r is person r and recording (q + r) mod
# recordings), served an hour ago, or just before the
# recording was decided if that was earlier: a clip handed out after its verdict is a hidden
# known-answer check (app/validate/service.py), and the benchmark measures ordinary votes, as
# it did before the trust rules (votes on clips served while pending and decided since).
_SERVINGS = """
INSERT INTO clip_servings (contributor_id, contribution_id, served_at)
SELECT p.person, c.id,
       least(now() - interval '1 hour', c.decided_at - interval '1 second')
  FROM generate_series(0, %(pairs)s - 1) AS n
 CROSS JOIN LATERAL (
       SELECT (%(people)s::uuid[])[n %% %(people_n)s + 1] AS person,
              (%(items)s::bigint[])[(n / %(people_n)s + n %% %(people_n)s) %% %(items_n)s + 1]
                  AS item) p
  JOIN contributions c ON c.id = p.item
    ON CONFLICT (contributor_id, contribution_id) DO NOTHING
"""


def _arrange(
    url: str, language: str, validators: list[uuid.UUID], recordings: list[int], writes: int
) -> None:
    """The validators counting in `language`, every clip they will vote on served to them an
    hour ago, and room for MAX_PER_SENTENCE recordings of each sentence."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE languages SET max_recordings_per_item = %s WHERE code = %s",
            (MAX_PER_SENTENCE, language),
        )
        conn.execute(
            "INSERT INTO validator_standing (validator_id, language_code, state, reason)"
            " SELECT unnest(%s::uuid[]), %s, 'counting', 'benchmark validator'"
            " ON CONFLICT (validator_id, language_code, task) DO UPDATE SET state = 'counting'",
            (validators, language),
        )
        conn.execute(
            _SERVINGS,
            {
                "people": validators,
                "people_n": len(validators),
                "items": recordings,
                "items_n": len(recordings),
                "pairs": min(writes, len(validators) * len(recordings)),
            },
        )
