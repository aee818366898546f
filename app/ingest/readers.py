"""Reading sentence files: plain text (one sentence a line) and CSV/TSV (a column per language).

Files are read as UTF-8 with or without a byte-order mark, or in the encoding the operator
names (`--encoding cp1252`). A byte that does not decode refuses the whole file with one line
saying how to convert it: half a file (its ASCII lines in, the rest refused) is worse than none,
and the run is one transaction, so nothing is written.
CSV and TSV go through the csv module, so quoted fields may span lines; the header row names
the language of each column by name ("Hindi"), native name ("हिन्दी") or code ("hi").
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.errors import BadRequest

DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}


class BadSentenceFile(BadRequest):
    """The file cannot be read as a whole (bad CSV structure, unknown column, no language)."""

    code = "bad_sentence_file"


def text_encoding(encoding: str | None) -> str:
    """The codec to read with: UTF-8 (a byte-order mark dropped) unless `encoding` names
    another. Raises BadSentenceFile for a name Python does not know."""
    if encoding is None:
        return "utf-8-sig"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise BadSentenceFile(
            f"unknown encoding {encoding[:40]!r} (try cp1252 or utf-16)"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def encoding_hint(path: Path, codec: str, encoding: str | None) -> str:
    """One line for a file that does not decode: the first line that fails, and the fix."""
    read_as = "UTF-8" if encoding is None else encoding
    where = _first_bad_line(path, codec)
    return (
        f"{path.name}: line {where} is not {read_as}; nothing was written. Convert the file "
        f"with `iconv -f cp1252 -t utf-8 {path.name} > {path.name}.utf8` (cp1252 or its real "
        "encoding), or read it as it is with --encoding cp1252"
    )


def _first_bad_line(path: Path, codec: str) -> int:
    """The number of the first line (counting b"\\n") that does not decode as `codec`.
    Only called after a failure: decoding runs ahead in chunks, so the reader cannot tell."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    number = 0
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return max(number, 1)  # a truncated sequence at the very end


# One sentence as read: the line where it starts in the file, its language, its raw text.
# (A plain tuple: a million of them are made per million lines, and tuples are the cheapest.)
SourceLine = tuple[int, str, str]


@dataclass
class SentenceFile:
    """An open sentence file: the languages it holds and its sentences, read lazily."""

    name: str
    languages: list[str]  # the language codes read, in column order
    records: Iterator[SourceLine]
    size: int  # bytes
    counter: _CountingReader

    @property
    def bytes_read(self) -> int:
        """How far reading has got, in bytes (for a progress bar)."""
        return self.counter.count


@contextmanager
def open_sentence_file(
    path: Path, *, language: str | None, known: Mapping[str, str], encoding: str | None = None
) -> Iterator[SentenceFile]:
    """Open `path` for reading sentences.

    `known` maps every accepted column label (code, name, native name; lower case) to a
    language code. A text file needs `language`; a CSV/TSV file takes its languages from its
    header, and `language`, when given, picks that one column. The file is decoded as
    `encoding` (default UTF-8); reading raises BadSentenceFile at the first byte that does
    not decode, so a run inside a transaction writes nothing. Raises BadSentenceFile.
    """
    delimiter = DELIMITERS.get(path.suffix.lower())
    codec = text_encoding(encoding)
    with path.open("rb") as raw:
        counter = _CountingReader(raw)
        text = io.TextIOWrapper(
            io.BufferedReader(counter, 1 << 16), encoding=codec, errors="strict", newline=""
        )
        size = path.stat().st_size
        if delimiter is None:
            if language is None:
                raise BadSentenceFile(f"{path.name}: a text file needs --language")
            lines = _decoded(path, codec, encoding, _text_lines(text, language))
            yield SentenceFile(path.name, [language], lines, size, counter)
        else:
            reader = csv.reader(text, delimiter=delimiter, strict=True)
            try:
                width, columns = _columns(path.name, reader, language, known)
            except UnicodeDecodeError:
                raise BadSentenceFile(encoding_hint(path, codec, encoding)) from None
            records = _decoded(
                path, codec, encoding, _csv_records(path.name, reader, width, columns)
            )
            yield SentenceFile(path.name, list(columns.values()), records, size, counter)


def _decoded(
    path: Path, codec: str, encoding: str | None, records: Iterator[SourceLine]
) -> Iterator[SourceLine]:
    """`records`, a decoding error turned into BadSentenceFile with the line and the fix."""
    try:
        yield from records
    except UnicodeDecodeError:
        raise BadSentenceFile(encoding_hint(path, codec, encoding)) from None


def _text_lines(text: io.TextIOWrapper, language: str) -> Iterator[SourceLine]:
    # With newline="" a line ends at "\n", "\r\n" or a lone "\r", kept as is: stripped here.
    for number, line in enumerate(text, start=1):
        yield number, language, line.rstrip("\r\n")


def _columns(
    name: str, reader: Iterator[list[str]], language: str | None, known: Mapping[str, str]
) -> tuple[int, dict[int, str]]:
    """The header's width, and column index -> language code for every column or the one
    `language` picks."""
    try:
        header = next(reader)
    except StopIteration:
        raise BadSentenceFile(f"{name}: the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise BadSentenceFile(f"{name}: not valid CSV in the header row: {exc}") from None
    columns: dict[int, str] = {}
    for index, label in enumerate(header):
        code = known.get(" ".join(label.replace("\ufeff", "").split()).lower())
        if code is None:
            raise BadSentenceFile(
                f"{name}: column {index + 1} is headed {label[:40]!r}, which is not a language "
                "we know (use a language name such as Hindi, or a code such as hi)"
            )
        if code in columns.values():
            raise BadSentenceFile(f"{name}: two columns are for language {code!r}")
        columns[index] = code
    if language is not None:
        picked = {i: c for i, c in columns.items() if c == language}
        if not picked:
            found = ", ".join(columns.values())
            raise BadSentenceFile(f"{name}: no column for {language!r} (the header has {found})")
        return len(header), picked
    return len(header), columns


def _csv_records(
    name: str, reader: Any, width: int, columns: dict[int, str]
) -> Iterator[SourceLine]:
    """The picked fields of every record; `reader` is a csv.reader (its type is private)."""
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = f"{name}: not valid CSV in the record at line {start}: {exc}"
            raise BadSentenceFile(message) from None
        previous_end = reader.line_num
        if not row:
            continue  # a blank line between records
        if len(row) != width:
            raise BadSentenceFile(
                f"{name}: the record at line {start} has {len(row)} fields; the header has "
                f"{width} (a missing quote or separator?)"
            )
        for index, code in columns.items():
            yield start, code, row[index]


class _CountingReader(io.RawIOBase):
    """A raw binary reader that counts the bytes it hands out."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)
