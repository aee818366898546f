"""The names of every metric the app exports on /metrics, in one place.

The Grafana dashboard and the alert rules (infra/k8s/monitoring/) are checked against this list
by the tests, so a renamed metric cannot leave a panel or an alert silently empty. Histograms
export `<name>_bucket`, `<name>_sum` and `<name>_count`; counters `<name>_total`.
"""

from __future__ import annotations

PREFIX = "crowdsource"

# HTTP, per route pattern (never the raw path), method and status.
HTTP_REQUESTS = f"{PREFIX}_http_requests"  # counter {route, method, status}
HTTP_DURATION = f"{PREFIX}_http_request_duration_seconds"  # histogram {route, method}
HTTP_IN_FLIGHT = f"{PREFIX}_http_requests_in_flight"  # gauge (summed over workers)

# Database connection pool, per worker process (summed over workers).
DB_POOL_SIZE = f"{PREFIX}_db_pool_connections"  # gauge {state: in_use|idle|max}
DB_POOL_WAIT = f"{PREFIX}_db_pool_wait_seconds"  # histogram: time to get a connection
DB_POOL_TIMEOUTS = f"{PREFIX}_db_pool_timeouts"  # counter: no connection in time (503)

# Object storage calls.
STORAGE_DURATION = f"{PREFIX}_storage_operation_duration_seconds"  # histogram {operation}
STORAGE_ERRORS = f"{PREFIX}_storage_errors"  # counter {operation}

# The contributor loop.
UPLOADS = f"{PREFIX}_uploads"  # counter {outcome: accepted|refused, reason}
VOTES = f"{PREFIX}_votes"  # counter {verdict: accept|reject}
VERDICTS = f"{PREFIX}_verdicts"  # counter {status: accepted|rejected}: recordings decided

# Read from the database at scrape time (the same for every pod).
REFRESH_LAST_SUCCESS = f"{PREFIX}_refresh_last_success_timestamp_seconds"  # gauge
REFRESH_STEP_SECONDS = f"{PREFIX}_refresh_step_duration_seconds"  # gauge {step}, last success
QUEUE_TO_RECORD = f"{PREFIX}_queue_items_to_record"  # gauge {language}
QUEUE_TO_VALIDATE = f"{PREFIX}_queue_clips_to_validate"  # gauge {language}

# Every name a dashboard or an alert may use, as Prometheus exposes it.
EXPORTED: frozenset[str] = frozenset(
    {
        f"{HTTP_REQUESTS}_total",
        *(f"{HTTP_DURATION}_{s}" for s in ("bucket", "sum", "count")),
        HTTP_IN_FLIGHT,
        DB_POOL_SIZE,
        *(f"{DB_POOL_WAIT}_{s}" for s in ("bucket", "sum", "count")),
        f"{DB_POOL_TIMEOUTS}_total",
        *(f"{STORAGE_DURATION}_{s}" for s in ("bucket", "sum", "count")),
        f"{STORAGE_ERRORS}_total",
        f"{UPLOADS}_total",
        f"{VOTES}_total",
        f"{VERDICTS}_total",
        REFRESH_LAST_SUCCESS,
        REFRESH_STEP_SECONDS,
        QUEUE_TO_RECORD,
        QUEUE_TO_VALIDATE,
    }
)
