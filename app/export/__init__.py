"""Exporting a language's recordings as an open speech dataset (Common Voice layout):
TSVs by status, speaker-disjoint train/dev/test splits, audio, a datasheet and checksums.

`export_language` does it; `open_target` turns `--out` into a destination and
`default_salt` gives the salt for speaker ids.
"""

from app.export.privacy import default_salt
from app.export.service import ExportOptions, ExportResult, export_language
from app.export.state import ExportError
from app.export.target import Target, open_target

__all__ = [
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "Target",
    "default_salt",
    "export_language",
    "open_target",
]
