"""The Pulumi program: stack config `crowdsource:target` picks where the app goes."""

from __future__ import annotations

import importlib

import pulumi

from infra.k8s.config import ConfigError

TARGETS = ("k8s", "aws", "gcp")


def main() -> None:
    """Runs the program of the stack's target (`k8s` when unset)."""
    config = pulumi.Config("crowdsource")
    target = config.get("target") or "k8s"
    if target not in TARGETS:
        raise ConfigError("target", f"{target!r} is not one of {', '.join(TARGETS)}")
    # Imported on demand: a k8s stack needs neither cloud SDK loaded.
    program = importlib.import_module(f"infra.{target}.stack")
    program.deploy(config)
