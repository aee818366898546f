"""`crowdsource serve`: the app under gunicorn (the Flask dev server only with --dev).

On embedded defaults it starts PostgreSQL, applies migrations and loads the demo (sentences,
clips, images, parallel sentences) into an empty database, so a fresh machine needs nothing
but Python.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import replace

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from app import create_app
from app.audio import AudioLimits
from app.dashboard.publish import read_manifest
from app.dashboard.refresh import refresh_dashboard
from app.db import Database, redact_url
from app.db.embedded import supervise_embedded_postgres
from app.db.migrations import Migrator
from app.errors import CrowdsourceError
from app.gunicorn_conf import gunicorn_options, metrics_across_workers
from app.logs import configure_process_logging
from app.sentences.demo import load_demo_items, load_demo_sentences_if_empty
from app.settings import Settings, with_secret_key
from app.storage import Storage
from ops.context import (
    checked_dashboard_storage,
    checked_storage,
    connect_database,
    settings_from_environment,
)
from ops.refresh import parse_duration


@click.command()
@click.option("--host", help="Address to listen on (default: HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: PORT or 8080).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (WEB_CONCURRENCY).")
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Apply pending migrations before serving.",
)
@click.option(
    "--demo/--no-demo",
    default=None,
    help="Load the demo (sentences, clips, images, parallel sentences) into an empty "
    "database, each set once (default: only when embedded).",
)
@click.option(
    "--refresh-every",
    metavar="DURATION",
    help="Refresh the dashboard in the background this often, e.g. 4h, or 'off' "
    "(default: 4h when embedded; off otherwise, where a CronJob does it).",
)
@click.option("--dev", is_flag=True, help="Use Flask's development server (reloads nothing).")
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    migrate: bool,
    demo: bool | None,
    refresh_every: str | None,
    dev: bool,
) -> None:
    """Serve the web app and the JSON API."""
    settings = with_secret_key(settings_from_environment())
    settings = replace(
        settings,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
    )
    url = connect_database(settings)
    storage = checked_storage(settings)
    if migrate:
        Migrator(url, report=click.echo).up()
    if demo if demo is not None else settings.embedded:
        database = Database(url, replace(settings, db_pool_min=0, db_pool_max=1))
        limits = AudioLimits(min_ms=settings.recording_min_ms, max_ms=settings.recording_max_ms)
        with database.connection() as conn:
            loaded = load_demo_sentences_if_empty(conn)
            items = load_demo_items(conn, storage, limits=limits)
        database.close()
        if loaded:
            click.echo(f"loaded {loaded} demo sentences")
        if items.reports:
            click.echo(items.describe())

    interval = _refresh_interval(refresh_every, settings)
    if interval:
        published = checked_dashboard_storage(settings, storage)
        if read_manifest(published) is None:
            refresh_dashboard(url, published, recordings=storage)
            click.echo("published the first dashboard")
        _start_background_refresh(url, published, interval, recordings=storage)

    where = (
        f"embedded PostgreSQL in {settings.pgdata_dir}" if settings.embedded else redact_url(url)
    )
    click.echo(f"database: {where}")
    click.echo(f"storage:  {storage.name} ({_storage_place(settings)})")
    click.echo(f"Crowdsource is up on http://{settings.host}:{settings.port}/  (Ctrl+C stops it)")

    # From here on this process serves: its log lines (and the workers') are JSON.
    configure_process_logging(settings.log_level, replace=True)
    if settings.embedded:
        # A killed embedded PostgreSQL is started again by this process (the one that stays up
        # for as long as the service); requests answer 503 meanwhile.
        supervise_embedded_postgres(settings.pgdata_dir)
    # Workers are forked from this process: free what the demo and the first refresh left to
    # the garbage collector here, where any thread it may wait for lives (an FFmpeg graph freed
    # in a worker once hung it: app/audio/resample.py), and keep what remains out of the
    # workers' collections (gc.freeze: also spares copy-on-write of the shared pages).
    gc.collect()
    gc.freeze()
    if dev:
        create_app(settings, database_url=url, storage=storage).run(
            host=settings.host, port=settings.port, debug=False, use_reloader=False, threaded=True
        )
        return
    GunicornServer(settings, url).run()


def _refresh_interval(option: str | None, settings: Settings) -> int | None:
    if option is None:
        return parse_duration("4h") if settings.embedded else None
    if option.strip().lower() in ("off", "0", "no", "never"):
        return None
    return parse_duration(option)


def _start_background_refresh(
    url: str, storage: Storage, interval: int, *, recordings: Storage | None = None
) -> None:
    """Refresh the dashboard every `interval` seconds in a daemon thread of this process (the
    gunicorn master: workers are forked without it)."""
    log = logging.getLogger("crowdsource.refresh")

    def loop() -> None:
        while True:
            time.sleep(interval)
            try:
                refresh_dashboard(url, storage, report=log.info, recordings=recordings)
            except CrowdsourceError as exc:
                log.error("dashboard refresh failed: %s", exc.message)

    threading.Thread(target=loop, name="dashboard-refresh", daemon=True).start()


def _storage_place(settings: Settings) -> str:
    if settings.storage_backend == "local":
        return str(settings.local_storage_dir)
    return f"bucket {settings.bucket_name}"


class GunicornServer(BaseApplication):
    """Runs the app factory in each gunicorn worker (after the fork, so pools are per worker)."""

    def __init__(self, settings: Settings, database_url: str) -> None:
        self._settings = settings
        self._database_url = database_url
        super().__init__()

    def load_config(self) -> None:
        options = gunicorn_options(self._settings) | metrics_across_workers()
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(self._settings, database_url=self._database_url)
