"""What makes an export resumable: a small state folder, `.export/`, inside the output.

- `options.json`: the language and audio format the folder was started with. Rerunning
  with the same ones resumes (or refreshes) the export; other ones are refused, so clips of
  two formats never mix.
- `clips.jsonl`: one line per clip written, appended as each one lands (path, size, SHA-256,
  duration). A rerun trusts a line only after checking the file still has that size and
  hash, so clips already written and verified are never fetched or transcoded again.
- `uploaded.jsonl`: for a bucket output, the objects already uploaded and their hashes.
- `parts/`: the rows read from the database, before the final files are written.

The folder is left out of SHA256SUMS, the tarball and any upload.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import IO, Any

from app.errors import CrowdsourceError

STATE_DIR = ".export"


class ExportError(CrowdsourceError):
    """The export cannot be made (unknown language, unusable output, ...)."""

    code = "export_failed"


class ExportState:
    """The state folder of one output folder (see the module docstring)."""

    def __init__(self, out_dir: Path, options: dict[str, Any]) -> None:
        self.out_dir = out_dir
        self.dir = out_dir / STATE_DIR
        self.parts = self.dir / "parts"
        self.options = options
        self.clips: dict[str, tuple[int, str, int]] = {}
        self.uploaded: dict[str, str] = {}
        self._clip_log: IO[str] | None = None
        self._upload_log: IO[str] | None = None

    @classmethod
    def open(cls, out_dir: Path, options: dict[str, Any]) -> ExportState:
        """Start or resume the export in `out_dir` (created if needed).

        Raises ExportError when the folder cannot be written, holds other files but no
        export, or holds an export made with other options.
        """
        state = cls(out_dir, options)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            has_state = state.dir.is_dir()
            if not has_state and any(out_dir.iterdir()):
                raise ExportError(
                    f"{out_dir} is not empty and holds no unfinished export: "
                    "choose a new or empty folder"
                )
            state.parts.mkdir(parents=True, exist_ok=True)
            options_file = state.dir / "options.json"
            if has_state and options_file.exists():
                before = json.loads(options_file.read_text())
                if before != options:
                    raise ExportError(
                        f"{out_dir} holds an export made with {_describe(before)}; rerun with "
                        "those options to resume it, or choose another folder"
                    )
            else:
                _write_text(options_file, json.dumps(options, sort_keys=True))
            state.clips = _load_clips(state.dir / "clips.jsonl")
            state.uploaded = _load_uploads(state.dir / "uploaded.jsonl")
        except OSError as exc:
            raise ExportError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
        return state

    def record_clip(self, path: str, size: int, sha256: str, duration_ms: int) -> None:
        """Remember a clip as written (flushed at once: an interruption loses at most the
        clips in flight)."""
        self.clips[path] = (size, sha256, duration_ms)
        if self._clip_log is None:
            self._clip_log = (self.dir / "clips.jsonl").open("a", encoding="utf-8")
        entry = {"path": path, "size": size, "sha256": sha256, "duration_ms": duration_ms}
        self._clip_log.write(json.dumps(entry) + "\n")
        self._clip_log.flush()

    def keep_only(self, paths: set[str]) -> None:
        """Forget clips not in `paths` and rewrite the log compactly."""
        self.close()
        self.clips = {p: entry for p, entry in self.clips.items() if p in paths}
        lines = (
            json.dumps({"path": p, "size": s, "sha256": h, "duration_ms": d}) + "\n"
            for p, (s, h, d) in sorted(self.clips.items())
        )
        _write_text(self.dir / "clips.jsonl", "".join(lines))

    def record_upload(self, key: str, sha256: str) -> None:
        """Remember an object as uploaded with the given content hash."""
        self.uploaded[key] = sha256
        if self._upload_log is None:
            self._upload_log = (self.dir / "uploaded.jsonl").open("a", encoding="utf-8")
        self._upload_log.write(json.dumps({"key": key, "sha256": sha256}) + "\n")
        self._upload_log.flush()

    def close(self) -> None:
        """Close the logs (they reopen on the next record)."""
        for log in (self._clip_log, self._upload_log):
            if log is not None:
                log.close()
        self._clip_log = self._upload_log = None

    def clear_parts(self) -> None:
        """Remove the intermediate rows once the final files are written."""
        shutil.rmtree(self.parts, ignore_errors=True)


def _describe(options: dict[str, Any]) -> str:
    return ", ".join(f"--{key.replace('_', '-')} {value}" for key, value in sorted(options.items()))


def _load_clips(path: Path) -> dict[str, tuple[int, str, int]]:
    clips: dict[str, tuple[int, str, int]] = {}
    for entry in _read_lines(path):
        try:
            clips[str(entry["path"])] = (
                int(entry["size"]),
                str(entry["sha256"]),
                int(entry["duration_ms"]),
            )
        except (KeyError, TypeError, ValueError):
            continue
    return clips


def _load_uploads(path: Path) -> dict[str, str]:
    uploads: dict[str, str] = {}
    for entry in _read_lines(path):
        if isinstance(entry.get("key"), str) and isinstance(entry.get("sha256"), str):
            uploads[entry["key"]] = entry["sha256"]
    return uploads


def _read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a log, skipping a line torn by an interruption."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
