"""`crowdsource k8s render`: a k8s stack's Kubernetes objects as YAML files, for kubectl users.

The objects are the ones `pulumi up` would create: the same Pulumi program runs here under
Pulumi's mocks (no CLI, no cluster) and its registrations are written out. Needs a checkout
(the stack files and infra/) and the `infra` extra.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from app.errors import CrowdsourceError

# Secret stack-config keys → the environment variables render reads them from (Pulumi keeps
# them encrypted in the stack file, which only the Pulumi CLI can decrypt).
SECRET_ENV = {
    "crowdsource:databasePassword": "DB_PASS",
    "crowdsource:secretKey": "SECRET_KEY",
    "crowdsource:storageAccessKeyId": "AWS_ACCESS_KEY_ID",
    "crowdsource:storageSecretAccessKey": "AWS_SECRET_ACCESS_KEY",
}
# kubectl applies files in name order: everything the migration Job needs, then the Job, then
# the app. The app comes in a second folder, applied after the Job has completed.
SETUP_KINDS = [
    "Namespace", "ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service",
    "NetworkPolicy", "StatefulSet", "Job",
]  # fmt: skip
APP_KINDS = [
    "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "NetworkPolicy", "CronJob",
]  # fmt: skip
SETUP_DIR, APP_DIR = "1-setup", "2-app"


class RenderError(CrowdsourceError):
    code = "render_failed"


def project_dir() -> Path:
    """The checkout holding Pulumi.yaml: the working directory or one above it, else the one
    this package lives in."""
    for folder in [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parent.parent]:
        if (folder / "Pulumi.yaml").is_file() and (folder / "infra").is_dir():
            return folder
    raise RenderError("no Pulumi.yaml with infra/ here: run this in a Crowdsource checkout")


@click.group()
def k8s() -> None:
    """Kubernetes without Pulumi: render a k8s stack as YAML for kubectl."""


@k8s.command()
@click.option("--stack", "stack_name", required=True, help="Stack name: Pulumi.<NAME>.yaml.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (created; a previous render in it is replaced).",
)
def render(stack_name: str, out_dir: Path) -> None:
    """Write the stack's Kubernetes objects as YAML files in OUT.

    Secrets come from the environment (DB_PASS, SECRET_KEY, AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY); SECRET_KEY and an in-cluster database password are generated when
    unset. The Secret's file is readable by its owner only.
    """
    objects = render_objects(stack_name)
    _check_out_dir(out_dir)
    namespace, job = _write(objects, out_dir)
    click.echo(f"wrote {len(objects)} objects to {out_dir}; apply them with:")
    click.echo(f"  kubectl apply -f {out_dir / SETUP_DIR}")
    click.echo(f"  kubectl -n {namespace} wait --for=condition=complete --timeout=15m job/{job}")
    click.echo(f"  kubectl apply -f {out_dir / APP_DIR}")


def render_objects(stack_name: str) -> list[dict[str, Any]]:
    """Runs the stack's program under mocks and returns its Kubernetes objects."""
    root = project_dir()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        from infra.capture import capture
        from infra.k8s.config import ConfigError
        from infra.program import main
        from infra.stacks import StackError, load_stack
    except ImportError as exc:
        raise RenderError(
            f"the Pulumi SDKs are missing ({exc.name}): pip install -e '.[infra]'"
        ) from None
    try:
        stack = load_stack(root, stack_name)
    except StackError as exc:
        raise RenderError(str(exc)) from None
    if stack.target != "k8s":
        raise RenderError(
            f"stack {stack_name!r} targets {stack.target}; render writes k8s stacks only "
            "(cloud stacks create their cluster with pulumi up)"
        )
    config = dict(stack.config)
    for key, variable in SECRET_ENV.items():
        if os.environ.get(variable):
            config[key] = os.environ[variable]
    try:
        captured = capture(main, stack=stack_name, config=config, secret_keys=tuple(SECRET_ENV))
    except ConfigError as exc:
        message = str(exc)
        for key, variable in SECRET_ENV.items():
            if message.startswith(f"{key}:"):
                message = f"{key} is secret: set {variable} in the environment to render it"
        raise RenderError(message) from None
    return captured.kubernetes_objects()


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists():
        unexpected = sorted(p.name for p in out_dir.iterdir() if p.name not in (SETUP_DIR, APP_DIR))
        if unexpected:
            raise RenderError(
                f"{out_dir} holds other files ({unexpected[0]}…): give an empty or new folder"
            )


def _file_name(index: int, obj: dict[str, Any]) -> str:
    return f"{index:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def _write(objects: list[dict[str, Any]], out_dir: Path) -> tuple[str, str]:
    """Writes both folders next to OUT first, then swaps them in: never a half-written render."""
    import yaml

    setup: list[dict[str, Any]] = []
    app: list[dict[str, Any]] = []
    for obj in objects:
        component = obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        in_app = obj["kind"] in APP_KINDS and component in ("web", "refresh")
        (app if in_app else setup).append(obj)
    setup.sort(key=lambda o: (SETUP_KINDS.index(o["kind"]), o["metadata"]["name"]))
    app.sort(key=lambda o: (APP_KINDS.index(o["kind"]), o["metadata"]["name"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".render-", dir=out_dir))
    try:
        for folder, group in ((SETUP_DIR, setup), (APP_DIR, app)):
            (staging / folder).mkdir()
            for index, obj in enumerate(group):
                path = staging / folder / _file_name(index, obj)
                text = yaml.safe_dump(obj, sort_keys=False, allow_unicode=True)
                path.write_text(text, encoding="utf-8")
                if obj["kind"] == "Secret":
                    path.chmod(0o600)
        for folder in (SETUP_DIR, APP_DIR):
            shutil.rmtree(out_dir / folder, ignore_errors=True)
            (staging / folder).rename(out_dir / folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    job = next(o for o in setup if o["kind"] == "Job")
    return job["metadata"]["namespace"], job["metadata"]["name"]
