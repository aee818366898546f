"""A request body the server cannot read is the client's fault: 400, whichever server reads it.

Under our gunicorn worker a body with broken framing never reaches the app (it is answered
by app/server/worker.py). Other servers hand the request over and fail only when a route
reads the body: werkzeug's development server (`crowdsource serve --dev`) raises OSError for
a bad chunk header, plain gthread raises gunicorn's parse errors for a bad chunk or a body
cut short. Raised in the middle of a route, they would be answered 500. Here `wsgi.input`
is wrapped so that failing to read it raises UnreadableBody (400 invalid_input, the answer
the worker gives too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from app.errors import CrowdsourceError
from app.i18n.text import Text

MESSAGE = Text("The request body could not be read.")
_OTHER_READS = frozenset({"readinto", "read1", "readinto1", "readall"})


class UnreadableBody(CrowdsourceError):
    code = "invalid_input"
    http_status = 400


class GuardedInput:
    """`wsgi.input`, whose read errors become UnreadableBody (ours and werkzeug's HTTP errors,
    such as a client disconnect, pass as they are)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, *args: Any) -> bytes:
        return self._guarded(self._stream.read, *args)

    def readline(self, *args: Any) -> bytes:
        return self._guarded(self._stream.readline, *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guarded(self._stream.readlines, *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        # Only what the stream has (werkzeug asks `hasattr(stream, "readinto")`).
        found = getattr(self._stream, name)
        if name in _OTHER_READS and callable(found):
            return partial(self._guarded, found)
        return found

    @staticmethod
    def _guarded(read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except (CrowdsourceError, HTTPException):
            raise
        except Exception as exc:  # OSError, ValueError, gunicorn's ParseException...
            raise UnreadableBody(MESSAGE) from exc


def guard_input(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware: the app reads its body through GuardedInput."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        stream = environ.get("wsgi.input")
        if stream is not None and not isinstance(stream, GuardedInput):
            environ["wsgi.input"] = GuardedInput(stream)
        return wsgi_app(environ, start_response)

    return guarded


def init_app(app: Flask) -> None:
    app.wsgi_app = guard_input(app.wsgi_app)  # type: ignore[method-assign]
