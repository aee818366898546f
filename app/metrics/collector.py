"""Metrics read from the database when Prometheus scrapes: the dashboard refresh (a separate
job, so no worker saw it happen) and the queues per language. Every pod reports the same
values; the dashboards take max() over pods. Results are kept for CACHE_SECONDS per process so
that several scrapers (or a scrape storm) cost one round of queries."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.dashboard.refresh import last_refresh
from app.db import Database
from app.errors import CrowdsourceError
from app.metrics import names
from app.stats.service import queue_depths

CACHE_SECONDS = 15.0


class DatabaseCollector(Collector):
    """Refresh and queue gauges; nothing at all while the database is unreachable (the
    request metrics still answer, and the alerts see the gap)."""

    def __init__(self, database: Database, *, report_limit: int) -> None:
        self._database = database
        self._report_limit = report_limit
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] = (0.0, [])

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            at, metrics = self._cached
            if time.monotonic() - at > CACHE_SECONDS:
                metrics = self._read()
                self._cached = (time.monotonic(), metrics)
        yield from metrics

    def _read(self) -> list[Metric]:
        try:
            with self._database.connection() as conn:
                refresh = last_refresh(conn)
                queues = queue_depths(conn, report_limit=self._report_limit)
        except CrowdsourceError:
            return []
        last_success = GaugeMetricFamily(
            names.REFRESH_LAST_SUCCESS, "When the last successful dashboard refresh finished."
        )
        steps = GaugeMetricFamily(
            names.REFRESH_STEP_SECONDS, "Seconds each step of the last successful refresh took.",
            labels=["step"],
        )  # fmt: skip
        if refresh is not None:
            finished: datetime = refresh["finished_at"] or refresh["started_at"]  # type: ignore[assignment]
            recorded: list[dict[str, Any]] = refresh["steps"] or []  # type: ignore[assignment]
            last_success.add_metric([], finished.timestamp())
            for step in recorded:
                steps.add_metric([str(step["name"])], int(step["ms"]) / 1000)
        to_record = GaugeMetricFamily(
            names.QUEUE_TO_RECORD, "Sentences still wanting recordings.", labels=["language"]
        )
        to_validate = GaugeMetricFamily(
            names.QUEUE_TO_VALIDATE, "Recordings waiting for votes.", labels=["language"]
        )
        for row in queues:
            to_record.add_metric([row["language"]], row["to_record"])
            to_validate.add_metric([row["language"]], row["to_validate"])
        return [last_success, steps, to_record, to_validate]
