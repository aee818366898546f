"""gunicorn's options for the app, in one place: `crowdsource serve` and containers share them.

In a container this module is gunicorn's config file:

    gunicorn --config python:app.gunicorn_conf app.wsgi:app

It then reads the settings from the environment (and a `.env` in the working directory, like
`app.wsgi`) and binds HOST:PORT with WEB_CONCURRENCY workers of THREADS threads. A malformed
setting stops gunicorn with one line `crowdsource: error: ...` on stderr. Options given on
gunicorn's command line or in GUNICORN_CMD_ARGS still win, as gunicorn reads them after this file.

Imported as a library (by `crowdsource serve`) it only defines `gunicorn_options`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.errors import SettingsError
from app.logs import gunicorn_log_config
from app.settings import Settings, load_settings

# gunicorn trusts X-Forwarded-* headers only from these peers. Behind a Kubernetes ingress the
# operator sets FORWARDED_ALLOW_IPS (gunicorn's own variable) to the ingress's addresses.
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1"
WORKER_CLASS = "app.server.worker.BufferedThreadWorker"


def gunicorn_options(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """gunicorn's settings for the app, by gunicorn's names, leaving out any this gunicorn lacks.

    `environ` (default: os.environ) is read for FORWARDED_ALLOW_IPS only: when set, its value is
    passed on unchanged, so an operator's value is never replaced by ours (gunicorn reads the
    variable when it is imported, before a `.env` file is loaded; passing it here covers both).
    """
    env = os.environ if environ is None else environ
    options: dict[str, Any] = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        # gthread, with each request read whole by the worker's main thread before a thread
        # serves it: slow senders cost a connection, not a thread (app/server/worker.py).
        "worker_class": WORKER_CLASS,
        "timeout": 60,
        # Longer than the load balancer's idle timeout (the AWS ALB's is 60 s): otherwise
        # gunicorn may close a kept-alive connection just as the balancer sends on it (a 502).
        "keepalive": 75,
        "graceful_timeout": 20,
        # No access log: the app writes one JSON line per request (app/logs.py) without the
        # client's address; gunicorn's own messages go to stderr.
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": gunicorn_log_config(settings.log_level),
        "loglevel": settings.log_level.lower(),
        "limit_request_line": 8190,
        "forwarded_allow_ips": env.get("FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS),
        "control_socket_disable": True,  # we do not use gunicornc; keeps $HOME untouched
    }
    known = _known_gunicorn_settings()  # control_socket_* exist from gunicorn 24 on
    return {key: value for key, value in options.items() if key in known}


def metrics_across_workers() -> dict[str, Any]:
    """Prepares prometheus_client's multiprocess mode for a gunicorn master: a folder where
    every worker writes its values (PROMETHEUS_MULTIPROC_DIR, made empty at start so counts of
    an earlier run are not added in), and the hook that retires a dead worker's gauges. Must
    run before any worker imports prometheus_client. Returns the gunicorn option to add."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        folder = tempfile.mkdtemp(prefix="crowdsource-metrics-")
        master = os.getpid()

        def remove() -> None:  # workers are forked with this handler: only the master removes
            if os.getpid() == master:
                shutil.rmtree(folder, ignore_errors=True)

        atexit.register(remove)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder

    def child_exit(_server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    return {"child_exit": child_exit}


def _known_gunicorn_settings() -> set[str]:
    from gunicorn.config import KNOWN_SETTINGS

    return {setting.name for setting in KNOWN_SETTINGS}


def _options_from_environment() -> dict[str, Any]:
    """The options for the environment of this process; exits with one line on a bad setting."""
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"crowdsource: error: {exc.message}")
    return gunicorn_options(settings) | metrics_across_workers()


def _loaded_as_gunicorn_config() -> bool:
    """True when gunicorn's command line (`gunicorn` or `python -m gunicorn`) imports this module
    for `--config python:app.gunicorn_conf`; False when `crowdsource serve` imports it."""
    return "gunicorn.app.wsgiapp" in sys.modules


if _loaded_as_gunicorn_config():
    # gunicorn takes every module-level name that is one of its settings (bind, workers...).
    globals().update(_options_from_environment())
