"""Infra tests: the Pulumi program runs under Pulumi's mocks (infra/capture.py), from the real
stack files, and the tests assert on what it registered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.capture import Capture, capture
from infra.program import main
from infra.stacks import load_stack
from infra.stand_ins import stand_ins

ROOT = Path(__file__).resolve().parents[2]
# Secret config the tests give every stack, so they can look for it where it must not be.
DB_PASSWORD = "db-pass-SENTINEL-7f3a"
SECRET_KEY = "secret-key-SENTINEL-91bc"
SECRETS = {"crowdsource:databasePassword": DB_PASSWORD, "crowdsource:secretKey": SECRET_KEY}
Build = Callable[..., Capture]


def build_stack(
    name: str,
    with_secrets: bool = True,
    *,
    delays: dict[str, float] | None = None,
    **overrides: Any,
) -> Capture:
    """Runs the program for stack `name` from its Pulumi.<name>.yaml; `overrides` replace config
    keys (without the `crowdsource:` prefix; None removes a key); `delays` makes resources (by
    type token or logical name) slow to create (infra.capture.capture)."""
    config = dict(load_stack(ROOT, name).config)
    if with_secrets:
        config |= SECRETS
    # The placeholders a shipped file holds for its adopter (refused by `pulumi up` as they
    # stand) get plausible values (infra/stand_ins.py); the overrides come after.
    config |= stand_ins(config)
    for key, value in overrides.items():
        full = f"crowdsource:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return capture(main, stack=name, config=config, secret_keys=tuple(SECRETS), delays=delays)


_cache: dict[str, Capture] = {}


@pytest.fixture
def stack() -> Callable[[str], Capture]:
    """The capture of a committed stack with the test secrets (built once per run)."""

    def get(name: str) -> Capture:
        if name not in _cache:
            _cache[name] = build_stack(name)
        return _cache[name]

    return get
