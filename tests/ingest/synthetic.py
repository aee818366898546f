"""Synthetic Hindi sentences for the ingest benchmark: unique, Devanagari only, 3-12 words.

    python -m tests.ingest.synthetic 1000000 /tmp/hindi-1m.txt [START]

Sentence i starts with three words that spell i in base len(WORDS) (so all are unique), then
0-9 more words; everything follows from i, so the same count gives the same file.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path

CONSONANTS = "कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह"
VOWEL_SIGNS = ["", "ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ", "ं"]


def _words() -> list[str]:
    rng = random.Random(15924)
    words: set[str] = set()
    while len(words) < 240:
        length = rng.randint(1, 3)
        words.add("".join(rng.choice(CONSONANTS) + rng.choice(VOWEL_SIGNS) for _ in range(length)))
    return sorted(words)


WORDS = _words()


def sentences(count: int, start: int = 0) -> Iterator[str]:
    """`count` distinct valid Hindi sentences of 3 to 12 words: numbers start, start + 1...
    of the series (two ranges that do not overlap share no sentence)."""
    base = len(WORDS)
    if start + count > base**3:
        raise ValueError(f"at most {base**3} distinct sentences")
    rng = random.Random(2024 + start)
    for i in range(start, start + count):
        head = [WORDS[i // base**2], WORDS[(i // base) % base], WORDS[i % base]]
        tail = rng.choices(WORDS, k=rng.randint(0, 9))
        yield " ".join(head + tail) + ("।" if i % 3 else "")


def write_file(path: Path, count: int, start: int = 0) -> None:
    """Write sentences start... start+count-1 to `path`, one a line."""
    with path.open("w", encoding="utf-8") as out:
        for sentence in sentences(count, start):
            out.write(sentence + "\n")


if __name__ == "__main__":
    write_file(Path(sys.argv[2]), int(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
