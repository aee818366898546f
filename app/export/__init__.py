"""Exporting a language's contributions to one task as an open dataset: speak's recordings in
Common Voice's layout (TSVs by status, speaker-disjoint train/dev/test splits, audio), and
each other task in the layout its users load; all with a datasheet and checksums.

`export_language` does it; `open_target` turns `--out` into a destination and
`default_salt` gives the salt for contributor ids.
"""

from app.export.base import ExportOptions, ExportResult
from app.export.privacy import default_salt
from app.export.service import TASKS, export_language
from app.export.state import ExportError
from app.export.target import Target, open_target

__all__ = [
    "TASKS",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "Target",
    "default_salt",
    "export_language",
    "open_target",
]
