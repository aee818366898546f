"""The stack files (Pulumi.<stack>.yaml) read without the Pulumi CLI: for render, cost and tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT = "crowdsource"


class StackError(ValueError):
    """A stack file is missing or unreadable; the message says which and why."""


@dataclass(frozen=True)
class StackFile:
    name: str
    config: dict[str, Any]  # {"crowdsource:key": value}, secure (encrypted) values left out
    secure_keys: tuple[str, ...]  # keys the file holds encrypted: only the CLI can read them

    @property
    def target(self) -> str:
        return str(self.config.get(f"{PROJECT}:target", "k8s"))


def known_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack(project_dir: Path, name: str) -> StackFile:
    """Reads Pulumi.<name>.yaml; an unknown name is refused with the list of known stacks."""
    path = project_dir / f"Pulumi.{name}.yaml"
    if "/" in name or not path.is_file():
        known = ", ".join(known_stacks(project_dir)) or "none"
        raise StackError(f"unknown stack {name!r} (known stacks: {known})")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StackError(f"{path.name} is not valid YAML: {exc}") from None
    raw = document.get("config") or {}
    if not isinstance(document, dict) or not isinstance(raw, dict):
        raise StackError(f"{path.name}: 'config' must be a map of keys to values")
    config: dict[str, Any] = {}
    secure: list[str] = []
    for key, value in raw.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.append(full)
        else:
            config[full] = value
    return StackFile(name=name, config=config, secure_keys=tuple(secure))
