"""A tiny HTTP client for the functional tests: one anonymous person with its own cookies.

Standard library only (urllib), so `crowdsource functional-test` runs from the production
image, where the test extras are not installed.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any

TIMEOUT_S = 20


@dataclass(frozen=True)
class Answer:
    """What the server said: status, parsed JSON body (None when not JSON), raw bytes, time."""

    status: int
    body: Any
    data: bytes
    content_type: str
    elapsed_ms: float

    def error_code(self) -> str:
        """The API's error code (`{"error": {"code"}}`), or '' when there is none."""
        try:
            return str(self.body["error"]["code"])
        except (TypeError, KeyError):
            return ""


class Person:
    """A visitor of `base_url`: keeps the session cookie (`cs_id`) the app sets when asked
    for a session (POST /api/v1/session), which every write needs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def send_json(self, method: str, path: str, document: dict[str, Any]) -> Answer:
        body = json.dumps(document).encode()
        return self.request(method, path, body, {"Content-Type": "application/json"})

    def upload(self, path: str, fields: dict[str, str], file_field: str, audio: bytes) -> Answer:
        """POST multipart/form-data: `fields` plus one WAV file, as the browser sends a take."""
        boundary = f"----crowdsource{uuid.uuid4().hex}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            .encode()
            for name, value in fields.items()
        ]  # fmt: skip
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="take.wav"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
            + audio
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        content_type = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, b"".join(parts), {"Content-Type": content_type})

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request; 4xx/5xx are answers too (never raised). Raises OSError when nothing
        answers."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        request.add_header("Accept", "application/json")
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=TIMEOUT_S) as response:
                status, data = response.status, response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
            content_type = exc.headers.get("Content-Type", "")
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            parsed = json.loads(data) if "json" in content_type else None
        except ValueError:
            parsed = None
        return Answer(status, parsed, data, content_type, elapsed_ms)
