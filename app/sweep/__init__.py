"""Orphan sweep: objects in the recordings storage that no row references, and rows whose
object is gone. `crowdsource sweep` (ops/sweep.py) is the only caller."""

from app.sweep.service import (
    SWEPT_PREFIXES,
    Reference,
    SweepResult,
    check_sweep_prefixes,
    sweep_orphans,
)

__all__ = ["SWEPT_PREFIXES", "Reference", "SweepResult", "check_sweep_prefixes", "sweep_orphans"]
