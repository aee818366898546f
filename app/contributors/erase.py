"""Erasing a contributor: the delete path the data-rights work calls.

What goes and what stays, and why:

- **Their recordings and other contributions are deleted**, with what hangs on them (the votes
  and skips and reports about them, the clips' servings: ON DELETE CASCADE). A recording is
  their voice; it leaves the dataset. The items' contribution_count goes down with them. The
  objects in storage are not deleted here (storage is not transactional): their keys are
  returned, for the caller to delete once the transaction has committed.
- **Their votes on other people's recordings are kept, anonymised**: they move to a new
  contributor row with no profile whose id is in no cookie. A vote that decided a verdict is
  part of the dataset's provenance (accept_count and reject_count count the votes behind each
  verdict); deleting it would leave the counts without their votes or force a recount that
  could undo published verdicts. What tied the vote to the person (their id) is gone.
- **Their reports are kept the same way** (an item's report_count counts distinct reporters,
  and an operator's review needs the report); a free-text note could name them, so it is
  cleared (a note is required only for reason 'other', whose note becomes '(erased)').
- **Clips to transcribe made from their recordings** (ADR 0010) are deleted, with the
  transcripts other people typed of them: those are the person's voice written down, tied to
  the audio that goes.
- **Deleted outright**: their profile (the contributors row), skips, upload refusals, clip
  servings and validator standing. Feedback keeps its message with contributor_id set to NULL
  (the foreign key's ON DELETE SET NULL).

Everything happens in one transaction (a savepoint when the caller is already in one). The
dashboard's materialized views and published files still hold the person's aggregate until
the next `crowdsource refresh`.
"""

from __future__ import annotations

import uuid

from app.db import Conn

# Their contributions, locked (a concurrent vote on one of them waits for the erasure, then
# finds the recording gone), with the keys of their objects.
_THEIR_CONTRIBUTIONS = """
SELECT id, item_id, media_key FROM contributions
 WHERE contributor_id = %(who)s ORDER BY id FOR UPDATE
"""

_THEIR_VOICE_ITEMS = """SELECT d.id FROM dataset_rows d
  JOIN contributions c ON c.id = d.source_contribution_id WHERE c.contributor_id = %(who)s"""

_STATEMENTS = (
    # The anonymous holder of their votes and reports: no profile, a fresh id.
    "INSERT INTO contributors (id, created_at, updated_at) VALUES (%(heir)s, now(), now())",
    """UPDATE validations SET validator_id = %(heir)s WHERE validator_id = %(who)s""",
    """UPDATE reports SET reporter_id = %(heir)s,
              note = CASE WHEN note IS NULL THEN NULL
                          WHEN reason = 'other' THEN '(erased)' END
        WHERE reporter_id = %(who)s""",
    # Clips to transcribe made from their recordings are their voice too: they go, with the
    # transcripts others typed of them and what hangs on those items (no cascade can: a
    # contribution's item has none, on purpose).
    *(
        f"DELETE FROM {table} WHERE item_id IN ({_THEIR_VOICE_ITEMS})"
        for table in ("skips", "reports", "upload_refusals", "contributions")
    ),
    f"DELETE FROM dataset_rows WHERE id IN ({_THEIR_VOICE_ITEMS})",
    # Items lose the contributions that go.
    """UPDATE dataset_rows d SET contribution_count = greatest(d.contribution_count - n.n, 0)
         FROM (SELECT item_id, count(*) AS n FROM contributions
                WHERE contributor_id = %(who)s GROUP BY item_id) n
        WHERE d.id = n.item_id""",
    "DELETE FROM contributions WHERE contributor_id = %(who)s",
    "DELETE FROM skips WHERE contributor_id = %(who)s",
    "DELETE FROM upload_refusals WHERE contributor_id = %(who)s",
    "DELETE FROM clip_servings WHERE contributor_id = %(who)s",
    "DELETE FROM validator_standing WHERE validator_id = %(who)s",
    "DELETE FROM contributors WHERE id = %(who)s",
)


def erase_contributor(conn: Conn, contributor_id: uuid.UUID) -> list[str]:
    """Remove a contributor and their contributions, keeping their votes and reports under a
    new anonymous id (see the module's docstring for why), in one transaction.

    Returns the storage keys of their objects (sorted, each once), to delete from storage
    after the transaction commits; an unknown contributor returns [] and changes nothing.
    """
    with conn.transaction():
        found = conn.execute(
            "SELECT 1 FROM contributors WHERE id = %(who)s FOR UPDATE", {"who": contributor_id}
        ).fetchone()
        if found is None:
            return []
        rows = conn.execute(_THEIR_CONTRIBUTIONS, {"who": contributor_id}).fetchall()
        keys = sorted({row["media_key"] for row in rows if row["media_key"]})
        params = {"who": contributor_id, "heir": uuid.uuid4()}
        for statement in _STATEMENTS:
            conn.execute(statement, params)
    return keys
