"""`crowdsource k8s render`: a k8s stack's Kubernetes objects as YAML files, for kubectl users.

The objects are the ones `pulumi up` would create: the same Pulumi program runs here under
Pulumi's mocks (no CLI, no cluster) and its registrations are written out. Needs a checkout
(the stack files and infra/) and the `infra` extra.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from ops.stacks import SECRET_ENV, InfraError, capture_stack, load_stack_file

# kubectl applies files in name order: everything the migration Job needs, then the Job, then
# the app. The app comes in a second folder, applied after the Job has completed.
SETUP_KINDS = [
    "Namespace", "ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service",
    "NetworkPolicy", "StatefulSet", "Job",
]  # fmt: skip
APP_KINDS = [
    "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "NetworkPolicy", "CronJob", "ServiceMonitor", "PrometheusRule",
]  # fmt: skip
SETUP_DIR, APP_DIR = "1-setup", "2-app"


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
    stack = load_stack_file(stack_name)
    if stack.target != "k8s":
        raise InfraError(
            f"stack {stack_name!r} targets {stack.target}; render writes k8s stacks only "
            "(cloud stacks create their cluster with pulumi up)"
        )
    secrets = {key: os.environ[var] for key, var in SECRET_ENV.items() if os.environ.get(var)}
    return capture_stack(stack, secrets).kubernetes_objects()


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists():
        unexpected = sorted(p.name for p in out_dir.iterdir() if p.name not in (SETUP_DIR, APP_DIR))
        if unexpected:
            raise InfraError(
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
        in_app = obj["kind"] in APP_KINDS and component in ("web", "refresh", "monitoring")
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
