"""Dependency checks with a deadline, for /readyz.

A hung database or storage endpoint must turn the probe red quickly, not after the client
libraries' own timeouts (tens of seconds, longer than any probe waits). Each check runs in a
thread of its own and is given CHECK_DEADLINE_S; a check still running after that counts as
failed, and is not started again until it finishes, so a hung dependency costs one thread per
process, not one per probe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.errors import CrowdsourceError

CHECK_DEADLINE_S = 2.0


class BoundedCheck:
    """`run()` answers "ok" or why not, within `deadline` seconds."""

    def __init__(self, name: str, check: Callable[[], None], deadline: float = CHECK_DEADLINE_S):
        self.name = name
        self._check = check
        self._deadline = deadline
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._result = ""

    def run(self) -> str:
        with self._lock:
            if self._running is None or not self._running.is_alive():
                self._result = ""
                self._running = threading.Thread(
                    target=self._attempt, name=f"readyz-{self.name}", daemon=True
                )
                self._running.start()
            running = self._running
        running.join(self._deadline)
        if running.is_alive():
            return f"not answering within {self._deadline:g} s"
        return self._result

    def _attempt(self) -> None:
        try:
            self._check()
            self._result = "ok"
        except CrowdsourceError as exc:
            self._result = exc.message
        except Exception as exc:  # any driver error means "not ready", never a 500
            self._result = f"error: {type(exc).__name__}"
