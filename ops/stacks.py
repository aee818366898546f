"""Running the Pulumi program offline for the ops commands (`k8s render`, `cost`).

The program runs in this process under Pulumi's mocks (infra/capture.py): no Pulumi CLI, no
cloud credentials. It needs a checkout (the stack files and infra/) and the `infra` extra.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import CrowdsourceError

if TYPE_CHECKING:
    from infra.capture import Capture
    from infra.stacks import StackFile

# Secret stack-config keys → the environment variables the ops commands read them from (Pulumi
# keeps them encrypted in the stack file, which only the Pulumi CLI can decrypt).
SECRET_ENV = {
    "crowdsource:databasePassword": "DB_PASS",
    "crowdsource:secretKey": "SECRET_KEY",
    "crowdsource:databaseAppPassword": "DB_APP_PASS",
    "crowdsource:storageAccessKeyId": "AWS_ACCESS_KEY_ID",
    "crowdsource:storageSecretAccessKey": "AWS_SECRET_ACCESS_KEY",
}


class InfraError(CrowdsourceError):
    code = "infra_failed"


def project_dir() -> Path:
    """The checkout holding Pulumi.yaml: the working directory or one above it, else the one
    this package lives in."""
    for folder in [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parent.parent]:
        if (folder / "Pulumi.yaml").is_file() and (folder / "infra").is_dir():
            return folder
    raise InfraError("no Pulumi.yaml with infra/ here: run this in a Crowdsource checkout")


def _import_infra() -> Path:
    root = project_dir()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        import infra.capture  # noqa: F401
    except ImportError as exc:
        raise InfraError(
            f"the Pulumi SDKs are missing ({exc.name}): pip install -e '.[infra]'"
        ) from None
    return root


def load_stack_file(stack_name: str) -> StackFile:
    """Pulumi.<stack_name>.yaml of the checkout; an unknown name is refused with the known ones."""
    root = _import_infra()
    from infra.stacks import StackError, load_stack

    try:
        return load_stack(root, stack_name)
    except StackError as exc:
        raise InfraError(str(exc)) from None


def capture_stack(stack: StackFile, secrets: Mapping[str, str]) -> Capture:
    """Runs the stack's program with its file's config plus `secrets` ({"crowdsource:key":
    value}) and returns what it registered."""
    _import_infra()
    from infra.capture import capture
    from infra.k8s.config import ConfigError
    from infra.program import main

    config = {**stack.config, **secrets}
    try:
        return capture(main, stack=stack.name, config=config, secret_keys=tuple(SECRET_ENV))
    except ConfigError as exc:
        message = str(exc)
        for key, variable in SECRET_ENV.items():
            if message.startswith(f"{key}:"):
                message = f"{key} is secret: set {variable} in the environment"
        raise InfraError(message) from None
