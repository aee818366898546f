"""README.txt of the my-data zip, in the reader's language."""

from __future__ import annotations

from app.i18n.runtime import translate
from app.i18n.text import Text

_PARTS = (
    Text("Your data from Crowdsource"),
    Text(
        "This archive holds everything the platform keeps about you, as it was when you "
        "downloaded it."
    ),
    Text(
        "profile.json: your profile (what you chose to tell us), when you first came, the "
        "interface language, whether your name may appear on the leaderboard, and your "
        "weekly goals."
    ),
    Text(
        "contributions.csv and contributions.json: every contribution you made (the same "
        "rows in two formats): its id, the task, the language, the text you were given, what "
        "you wrote, its status, the votes for and against it, its dates and the automatic "
        "check's score."
    ),
    Text(
        "votes.csv and votes.json: every vote you cast: the contribution's id, the task, the "
        "language, your verdict, whether it was practice or counted, and its date."
    ),
    Text(
        "achievements.json and certificates.json: the badges you earned and the "
        "certificates issued to you."
    ),
    Text("recordings/: your recordings, as you uploaded them, named by their contribution id."),
    Text("Dates are in UTC (ISO 8601). To have all of it erased, use the page Your data."),
)


def readme_text(missing: list[str]) -> str:
    """The README for a zip from which the recordings `missing` were left out (they could
    not be read from storage at the time)."""
    parts = [translate(part) for part in _PARTS]
    if missing:
        parts.append(
            translate(
                Text(
                    "These recordings could not be read just now and are not in this "
                    "archive; download again later to get them: {files}",
                    files=", ".join(missing),
                )
            )
        )
    return "\n\n".join(parts) + "\n"
