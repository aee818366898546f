"""The app's metric objects (prometheus_client), created once per process.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR is set before any worker starts (app/gunicorn_conf.py):
every worker then writes its values to files there and /metrics adds them up, whichever
worker answers the scrape. Imported only from app.metrics.init_app, after that variable is set.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from app.metrics import names

# Latency buckets: the targets are 100 ms for reads and votes and 500 ms for an upload.
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

HTTP_REQUESTS = Counter(
    names.HTTP_REQUESTS, "HTTP requests answered.", ["route", "method", "status"]
)
HTTP_DURATION = Histogram(
    names.HTTP_DURATION, "Time to answer, by route pattern.", ["route", "method"],
    buckets=_HTTP_BUCKETS,
)  # fmt: skip
HTTP_IN_FLIGHT = Gauge(
    names.HTTP_IN_FLIGHT, "Requests being answered now.", multiprocess_mode="livesum"
)
DB_POOL_SIZE = Gauge(
    names.DB_POOL_SIZE, "Database connections of the pools, by state.", ["state"],
    multiprocess_mode="livesum",
)  # fmt: skip
DB_POOL_WAIT = Histogram(
    names.DB_POOL_WAIT, "Time a request waited for a database connection.",
    buckets=_FAST_BUCKETS,
)  # fmt: skip
DB_POOL_TIMEOUTS = Counter(
    names.DB_POOL_TIMEOUTS, "Requests that got no database connection in time (503)."
)
STORAGE_DURATION = Histogram(
    names.STORAGE_DURATION, "Time of object storage calls.", ["operation"],
    buckets=_FAST_BUCKETS,
)  # fmt: skip
STORAGE_ERRORS = Counter(
    names.STORAGE_ERRORS, "Object storage calls that failed (not 'no such object').",
    ["operation"],
)  # fmt: skip
UPLOADS = Counter(
    names.UPLOADS, "Recording uploads by outcome (accepted, replayed, refused) and reason.",
    ["outcome", "reason"],
)  # fmt: skip
VOTES = Counter(names.VOTES, "Votes counted, by verdict.", ["verdict"])
VERDICTS = Counter(names.VERDICTS, "Recordings decided, by the decision.", ["status"])
