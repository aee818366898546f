"""Known-answer clips arranged in the database, for tests of trust (API and live)."""

from __future__ import annotations

import uuid

import psycopg


def seed_known_answers(
    db: psycopg.Connection, language: str = "hi", each: int = 4
) -> dict[str, str]:
    """Known-answer clips by a speaker of their own: `each` of each answer in each pool (even
    and odd ids), decided two hours ago. Returns {public id: answer}."""
    speaker = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (speaker,))
    counts: dict[tuple[int, str], int] = {}
    answers: dict[str, str] = {}
    while len(answers) < 4 * each:
        item = db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
            " RETURNING id",
            (language, f"ज्ञात उत्तर {uuid.uuid4().hex[:8]}"),
        ).fetchone()["id"]
        public_id = uuid.uuid4()
        row = db.execute(
            """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                   idempotency_key, media_key, duration_ms, status, decided_at)
               VALUES (%s, %s, %s, %s, 'recording', %s, %s, 2000, 'pending', NULL)
               RETURNING id""",
            (public_id, speaker, item, language, uuid.uuid4().hex, f"recordings/{public_id}.wav"),
        ).fetchone()
        pool = row["id"] % 2
        answer = "accept" if counts.get((pool, "accept"), 0) < each else "reject"
        if counts.get((pool, answer), 0) >= each:
            db.execute("DELETE FROM contributions WHERE id = %s", (row["id"],))
            continue
        counts[(pool, answer)] = counts.get((pool, answer), 0) + 1
        db.execute(
            """UPDATE contributions SET known_answer = %s, known_answer_source = 'operator',
                      status = %s, decided_at = now() - interval '2 hours' WHERE id = %s""",
            (answer, "accepted" if answer == "accept" else "rejected", row["id"]),
        )
        answers[str(public_id)] = answer
    return answers
