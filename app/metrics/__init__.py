"""Prometheus metrics: request counts and latencies, the database pool, storage calls, the
contributor loop, and (read at scrape time) the dashboard refresh and queue depths.

`/metrics` is served on the app's own port for the cluster's Prometheus; the public Ingress
routes only the app's public paths, so it never reaches the internet (infra/k8s).
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, Response, current_app, g, request

from app.db import Database
from app.logs import request_seconds, route_of_request
from app.settings import Settings

bp = Blueprint("metrics", __name__)
UPLOAD_ENDPOINT = "speak.upload_recording"


def init_app(app: Flask, settings: Settings) -> None:
    """Counts every request and serves /metrics. Call after the storage is set up."""
    from prometheus_client import CollectorRegistry

    from app.metrics import registry as m
    from app.metrics.collector import DatabaseCollector
    from app.metrics.storage import measured

    for key in ("crowdsource.storage", "crowdsource.dashboard_storage"):
        app.extensions[key] = measured(app.extensions[key])
    scraped = CollectorRegistry()
    scraped.register(
        DatabaseCollector(app.extensions["crowdsource.db"], report_limit=settings.reports_to_hide)
    )
    app.extensions["crowdsource.metrics_db"] = scraped
    database = app.extensions["crowdsource.db"]
    database.on_wait = m.DB_POOL_WAIT.observe
    database.on_timeout = m.DB_POOL_TIMEOUTS.inc
    database.on_release = lambda: _pool_gauges(database)

    @app.before_request
    def start() -> None:
        g.metrics_in_flight = True
        m.HTTP_IN_FLIGHT.inc()

    @app.after_request
    def count(response: Response) -> Response:
        route = route_of_request() or "(no route)"
        m.HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        seconds = request_seconds()  # the same clock as the request's log line
        if seconds is not None:
            m.HTTP_DURATION.labels(route, request.method).observe(seconds)
        if request.endpoint == UPLOAD_ENDPOINT:
            _count_upload(response.status_code)
        return response

    @app.teardown_request
    def finish(_exc: BaseException | None) -> None:
        if g.pop("metrics_in_flight", False):
            m.HTTP_IN_FLIGHT.dec()

    app.register_blueprint(bp)


def _count_upload(status: int) -> None:
    from app.metrics.registry import UPLOADS

    if status == 201:
        UPLOADS.labels("accepted", "").inc()
    elif status == 200:
        UPLOADS.labels("replayed", "").inc()
    else:
        UPLOADS.labels("refused", g.get("error_code") or str(status)).inc()


def vote_counted(verdict: str, decided: str | None) -> None:
    """A new vote; `decided` is the status it gave the recording (accepted or rejected) when
    this vote made the decision."""
    from app.metrics.registry import VERDICTS, VOTES

    VOTES.labels(verdict).inc()
    if decided is not None:
        VERDICTS.labels(decided).inc()


def _pool_gauges(database: Database) -> None:
    """The pool's use just after a connection went back to it."""
    from app.metrics.registry import DB_POOL_SIZE

    stats = database.pool_stats()
    if stats:
        DB_POOL_SIZE.labels("in_use").set(stats["pool_size"] - stats["pool_available"])
        DB_POOL_SIZE.labels("idle").set(stats["pool_available"])
        DB_POOL_SIZE.labels("max").set(stats["pool_max"])


@bp.get("/metrics")
def metrics() -> Response:
    """Every metric in Prometheus' text format (all workers added up under gunicorn)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, multiprocess
    from prometheus_client import generate_latest as exposition

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
    else:
        workers = REGISTRY
    body = exposition(workers) + exposition(current_app.extensions["crowdsource.metrics_db"])
    return Response(
        body,
        mimetype=CONTENT_TYPE_LATEST.split(";")[0],
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )
