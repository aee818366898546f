"""Object storage with every call timed and its failures counted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from app.errors import NotFound, StorageError
from app.storage import Storage

MEASURED = frozenset({"put", "get", "open", "exists", "delete", "url", "check"})


class MeasuredStorage:
    """Wraps a backend; anything not in MEASURED (list, name, bucket…) passes through."""

    def __init__(self, inner: Storage) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in MEASURED:
            return attribute
        return _timed(name, attribute)


def _timed(operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
    from app.metrics.registry import STORAGE_DURATION, STORAGE_ERRORS

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except StorageError as exc:
            if not isinstance(exc, NotFound):  # a missing object is an answer, not a failure
                STORAGE_ERRORS.labels(operation).inc()
            raise
        finally:
            STORAGE_DURATION.labels(operation).observe(time.perf_counter() - started)

    return timed


def measured(storage: Storage) -> Storage:
    return (
        storage if isinstance(storage, MeasuredStorage) else cast(Storage, MeasuredStorage(storage))
    )
