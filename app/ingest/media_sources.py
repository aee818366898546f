"""Where media items come from: a folder or an archive of `x.wav` + `x.txt` pairs, or a
manifest (CSV/TSV with `file` and `text` columns, paths relative to the manifest).

Archives are never extracted to disk: members are read into memory one at a time, so a member
named `../evil.wav` cannot write anything; it is still refused (`unsafe_path`), as are absolute
paths, links and device files, and paths in a manifest that leave its folder. Hidden files
and `__MACOSX/` folders (archive tools' leftovers) are skipped without a word.
"""

from __future__ import annotations

import csv
import lzma
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.errors import BadRequest
from app.ingest.readers import BadSentenceFile, encoding_hint, text_encoding
from app.storage.keys import MEDIA_EXTENSIONS

MAX_TEXT_BYTES = 16 * 1024
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
MANIFEST_SUFFIXES = {".csv": ",", ".tsv": "\t"}
_DRIVE = re.compile(r"[A-Za-z]:")
TEXT_COLUMNS = ("text", "sentence", "transcript")
# Files read as candidates: media we keep, and images in formats we do not keep, so that the
# report names their format (unsupported_image_format) instead of calling them stray files.
CANDIDATE_EXTENSIONS = {
    **MEDIA_EXTENSIONS,
    "image": (*MEDIA_EXTENSIONS["image"], "gif", "bmp", "tif", "tiff", "avif"),
}


class BadMediaSource(BadRequest):
    """The folder, archive or manifest cannot be read as a whole."""

    code = "bad_media_source"


class TooLarge(Exception):
    """A member is larger than the limit given to `read`."""


# What reading one member of a damaged archive raises (CRC mismatch, truncated stream...).
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(frozen=True)
class MediaCandidate:
    """One media file and its text, or an entry refused before reading (`refusal` set)."""

    name: str
    text: str | None = None
    read: Callable[[int], bytes] | None = None  # read(limit): the bytes; raises TooLarge
    refusal: str | None = None


@dataclass(frozen=True)
class _Entry:
    name: str  # relative, '/'-separated
    read: Callable[[int], bytes] | None  # None: not a regular file


@contextmanager
def open_media_source(
    path: Path, kind: str, *, language: str, encoding: str | None = None
) -> Iterator[list[MediaCandidate]]:
    """The candidates found in `path` (a folder, a .zip/.tar[.gz|.bz2|.xz] archive or a
    .csv/.tsv manifest) for media of `kind` ("audio" or "image"), sorted by name. A manifest
    with a `language` column gives only its rows for `language` (the others are refused as
    `other_language`). Texts are decoded as `encoding` (default UTF-8).

    Raises BadMediaSource when `path` is none of these, cannot be opened, or is a manifest
    that does not decode (with the command that converts it).
    """
    try:
        codec = text_encoding(encoding)
    except BadSentenceFile as exc:
        raise BadMediaSource(str(exc)) from None
    lower = path.name.lower()
    if path.is_dir():
        yield _pair(_folder_entries(path), kind, codec)
    elif lower.endswith(".zip"):
        try:
            zipped = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadMediaSource(f"{path.name}: not a readable zip archive: {exc}") from None
        with zipped:
            yield _pair(_zip_entries(zipped), kind, codec)
    elif lower.endswith(TAR_SUFFIXES):
        try:
            tarred = tarfile.open(path, "r:*")  # noqa: SIM115 (closed below, after the yield)
            entries = _tar_entries(tarred)  # reads the whole archive once
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BadMediaSource(f"{path.name}: not a readable tar archive: {exc}") from None
        with tarred:
            yield _pair(entries, kind, codec)
    elif path.suffix.lower() in MANIFEST_SUFFIXES:
        delimiter = MANIFEST_SUFFIXES[path.suffix.lower()]
        try:
            candidates = _manifest(path, delimiter, kind, language, codec)
        except UnicodeDecodeError:
            raise BadMediaSource(encoding_hint(path, codec, encoding)) from None
        yield candidates
    else:
        raise BadMediaSource(
            f"{path.name}: expected a folder, a .zip or .tar.gz archive, or a .csv/.tsv manifest"
        )


def is_safe_name(name: str) -> bool:
    """True for a relative path: no '..' segment (with either slash), no root, no drive."""
    normalized = name.replace("\\", "/")
    return (
        bool(name)
        and not normalized.startswith("/")
        and not _DRIVE.match(normalized)
        and ".." not in normalized.split("/")
    )


def _hidden(name: str) -> bool:
    """Dotfiles, dot-folders and __MACOSX/ (archive tools' leftovers such as ._x.wav)."""
    parts = name.replace("\\", "/").split("/")
    return any((part.startswith(".") and part != ".") or part == "__MACOSX" for part in parts)


def _pair(entries: list[_Entry], kind: str, codec: str) -> list[MediaCandidate]:
    """Media files with the .txt of the same stem; everything else refused with a reason."""
    extensions = CANDIDATE_EXTENSIONS[kind]
    media: dict[str, list[_Entry]] = {}
    texts: dict[str, _Entry] = {}
    out: list[MediaCandidate] = []
    for entry in entries:
        if not is_safe_name(entry.name) or entry.read is None:
            out.append(MediaCandidate(entry.name, refusal="unsafe_path"))
            continue
        if _hidden(entry.name):
            continue
        stem, _, suffix = entry.name.rpartition(".")
        if stem and suffix.lower() in extensions:
            media.setdefault(stem, []).append(entry)
        elif stem and suffix.lower() == "txt":
            texts[stem] = entry
        else:
            out.append(MediaCandidate(entry.name, refusal="unsupported_file"))
    for stem, text_entry in texts.items():
        if stem not in media:
            out.append(MediaCandidate(text_entry.name, refusal="no_media"))
    for stem, files in media.items():
        text = _read_text(texts[stem], codec) if stem in texts else None
        for entry in files:
            if text is None:
                out.append(MediaCandidate(entry.name, refusal="no_text"))
            else:
                out.append(MediaCandidate(entry.name, text=text, read=entry.read))
    return sorted(out, key=lambda c: c.name)


def _read_text(entry: _Entry, codec: str) -> str:
    assert entry.read is not None
    try:
        data = entry.read(MAX_TEXT_BYTES)
    except TooLarge:
        return "\ufffd"  # refused as bad_text, like any text we cannot use
    except READ_ERRORS:
        return "\ufffd"
    return data.decode(codec, errors="replace")  # U+FFFD: refused as bad_text


def _folder_entries(root: Path) -> list[_Entry]:
    entries = []
    for folder, subfolders, files in os.walk(root):  # links to folders are not followed
        subfolders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            regular = stat.S_ISREG(info.st_mode)  # a symlink may point anywhere: refused
            entries.append(_Entry(relative, _file_reader(path) if regular else None))
        for name in subfolders:
            if (Path(folder) / name).is_symlink():
                relative = (Path(folder) / name).relative_to(root).as_posix()
                entries.append(_Entry(relative, None))
    return entries


def _file_reader(path: Path) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        with path.open("rb") as file:
            return _capped(file.read(limit + 1), limit)

    return read


def _zip_entries(archive: zipfile.ZipFile) -> list[_Entry]:
    entries = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        regular = _zip_member_is_file(info)

        def read(limit: int, info: zipfile.ZipInfo = info) -> bytes:
            if info.file_size > limit:
                raise TooLarge
            with archive.open(info) as member:
                return _capped(member.read(limit + 1), limit)

        entries.append(_Entry(info.filename, read if regular else None))
    return entries


def _zip_member_is_file(info: zipfile.ZipInfo) -> bool:
    """False only when the Unix mode bits say link, device, fifo or socket. Many writers set
    permission bits without a file type (Python's `ZipFile.writestr` stores 0o600, Windows
    tools store nothing): such an entry is a plain file, judged by its path like any other."""
    file_type = stat.S_IFMT(info.external_attr >> 16)
    return file_type in (0, stat.S_IFREG)


def _tar_entries(archive: tarfile.TarFile) -> list[_Entry]:
    entries = []
    for member in archive.getmembers():
        if member.isdir():
            continue

        def read(limit: int, member: tarfile.TarInfo = member) -> bytes:
            if member.size > limit:
                raise TooLarge
            file = archive.extractfile(member)
            assert file is not None  # a regular file always has one
            with file:
                return _capped(file.read(limit + 1), limit)

        entries.append(_Entry(member.name, read if member.isfile() else None))
    return entries


def _capped(data: bytes, limit: int) -> bytes:
    if len(data) > limit:
        raise TooLarge
    return data


def _manifest(
    path: Path, delimiter: str, kind: str, language: str, codec: str
) -> list[MediaCandidate]:
    """Rows of `file` and `text` (or `sentence`, `transcript`), and maybe `language`; files
    are relative to the manifest's folder and must stay inside it."""
    root = path.parent.resolve()
    extensions = CANDIDATE_EXTENSIONS[kind]
    out = []
    with path.open(encoding=codec, errors="strict", newline="") as file:
        reader = csv.DictReader(file, delimiter=delimiter, strict=True)
        fields = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        text_field = next((fields[f] for f in TEXT_COLUMNS if f in fields), None)
        if "file" not in fields or text_field is None:
            raise BadMediaSource(
                f"{path.name}: the header must name a 'file' and a 'text' column "
                "(or 'sentence', 'transcript')"
            )
        try:
            for row in reader:
                name = (row.get(fields["file"]) or "").strip()
                if "language" in fields and row.get(fields["language"], "").strip() != language:
                    out.append(MediaCandidate(name, refusal="other_language"))
                    continue
                text = row.get(text_field) or ""
                out.append(_manifest_candidate(root, name, text, extensions))
        except csv.Error as exc:
            message = f"{path.name}: not valid CSV near line {reader.line_num}: {exc}"
            raise BadMediaSource(message) from None
    return out


def _manifest_candidate(
    root: Path, name: str, text: str, extensions: tuple[str, ...]
) -> MediaCandidate:
    if not is_safe_name(name):
        return MediaCandidate(name, refusal="unsafe_path")
    target = root / PurePosixPath(name.replace("\\", "/"))
    if not target.resolve().is_relative_to(root):  # a link inside the folder pointing out
        return MediaCandidate(name, refusal="unsafe_path")
    if not target.is_file():
        return MediaCandidate(name, refusal="missing_file")
    if target.suffix.lower().lstrip(".") not in extensions:
        return MediaCandidate(name, refusal="unsupported_file")
    return MediaCandidate(name, text=text, read=_file_reader(target))
