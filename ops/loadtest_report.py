"""Reading a Locust run back: the per-endpoint numbers of its stats CSV, as one table.

Locust names its columns "Request Count", "Requests/s", "50%"…; a row of an endpoint that
was never called has "N/A" percentiles. The last row, "Aggregated", is the whole run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class EndpointStats:
    """One row of the summary: an endpoint (Locust's request name) or the whole run."""

    name: str
    requests: int
    failures: int
    req_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


def read_stats(path: Path) -> list[EndpointStats]:
    """The rows of Locust's `<prefix>_stats.csv`, endpoints by name and the total last."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            EndpointStats(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                req_per_s=float(row["Requests/s"]),
                p50_ms=_milliseconds(row["50%"]),
                p95_ms=_milliseconds(row["95%"]),
                p99_ms=_milliseconds(row["99%"]),
            )
            for row in csv.DictReader(handle)
        ]
    endpoints = sorted((r for r in rows if r.name != AGGREGATED), key=lambda r: r.name)
    return endpoints + [r for r in rows if r.name == AGGREGATED]


def format_summary(rows: list[EndpointStats]) -> str:
    """A fixed-width table: endpoint, requests, failures, req/s, p50 / p95 / p99 in ms."""
    header = ("ENDPOINT", "REQUESTS", "FAILURES", "REQ/S", "P50_MS", "P95_MS", "P99_MS")
    lines = [
        (
            row.name,
            str(row.requests),
            str(row.failures),
            f"{row.req_per_s:.1f}",
            _shown(row.p50_ms),
            _shown(row.p95_ms),
            _shown(row.p99_ms),
        )
        for row in rows
    ]
    width = max(len(header[0]), *(len(line[0]) for line in lines)) if lines else len(header[0])
    table = [header, *lines]
    return "\n".join(
        f"{cells[0]:<{width}}" + "".join(f" {cell:>8}" for cell in cells[1:]) for cells in table
    )


def _milliseconds(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:  # "N/A": no request of this name
        return None


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
