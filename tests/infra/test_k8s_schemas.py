"""Every Kubernetes object the program makes, and every file `crowdsource k8s render` writes,
validates against the Kubernetes JSON schemas (kubernetes-validate, strict: no unknown fields)."""

from __future__ import annotations

import stat
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.infra.conftest import DB_PASSWORD, SECRET_KEY, build_stack
from tests.infra.test_k8s_stack import STACKS

# The newest schemas bundled, and the oldest Kubernetes we support (EKS and GKE still run it).
VERSIONS = [kubernetes_validate.latest_version(), "1.31"]
# Custom resources have no bundled schema (BackendConfig, ServiceMonitor…): list them here.
NO_SCHEMA_KINDS: set[str] = {"ServiceMonitor", "PrometheusRule"}


def validate(obj: dict, version: str) -> None:
    if obj["kind"] in NO_SCHEMA_KINDS:
        return
    kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", STACKS)
def test_every_object_validates_against_the_kubernetes_schemas(stack, name, version):
    objects = stack(name).kubernetes_objects()
    assert len(objects) >= 12
    for obj in objects:
        validate(obj, version)


def test_render_writes_the_same_objects_as_valid_yaml(cli, tmp_path):
    out = tmp_path / "rendered"
    # The same secrets on both sides: the Job's name carries a fingerprint of the app password.
    secrets = {"DB_PASS": DB_PASSWORD, "SECRET_KEY": SECRET_KEY, "DB_APP_PASS": "app-pass-7c1d"}
    result = cli.run("k8s", "render", "--stack", "dev", "--out", str(out), timeout=120, **secrets)
    assert result.returncode == 0, result.stderr
    assert "kubectl apply -f" in result.stdout
    files = sorted(out.glob("*/*.yaml"))
    rendered = [yaml.safe_load(f.read_text()) for f in files]
    for obj in rendered:
        validate(obj, VERSIONS[0])

    def identity(obj: dict) -> tuple[str, str]:
        return obj["kind"], obj["metadata"]["name"]

    captured = build_stack("dev", databaseAppPassword="app-pass-7c1d").kubernetes_objects()
    assert sorted(map(identity, rendered)) == sorted(map(identity, captured))
    # The same objects, apart from the values generated afresh on each run.
    volatile = {("Secret", "crowdsource-secrets"), ("Secret", "crowdsource-db-owner")}
    by_id = {identity(o): o for o in rendered}
    for obj in captured:
        if identity(obj) not in volatile:
            assert by_id[identity(obj)] == obj, identity(obj)
    secret_file = next(f for f in files if "-secret-" in f.name)
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    # Setup (through the migration Job) goes first, the app after it.
    assert [f.parent.name for f in files if "-job-" in f.name] == ["1-setup"]
    assert [f.parent.name for f in files if "-deployment-" in f.name] == ["2-app"]


def test_render_takes_secrets_from_the_environment(cli, tmp_path):
    out = tmp_path / "rendered"
    result = cli.run(
        "k8s", "render", "--stack", "test", "--out", str(out), DB_PASS="s3cret-from-env"
    )
    assert result.returncode == 0, result.stderr
    # DB_PASS is the owner's: only in the Secret of the migration Job and the refresh CronJob.
    (secret_file,) = out.glob("1-setup/*-secret-crowdsource-db-owner.yaml")
    assert yaml.safe_load(secret_file.read_text())["stringData"]["DB_PASS"] == "s3cret-from-env"
    others = [f for f in out.glob("*/*.yaml") if f != secret_file]
    assert all("s3cret-from-env" not in f.read_text() for f in others)


def test_render_refuses_an_unknown_stack_with_one_line(cli, tmp_path):
    result = cli.run("k8s", "render", "--stack", "staging", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("crowdsource: error: unknown stack 'staging' (known stacks: ")
    assert "dev" in line and "prod" in line
    assert not (tmp_path / "o").exists()


def test_render_names_the_missing_secret(cli, tmp_path):
    result = cli.run("k8s", "render", "--stack", "prod", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "crowdsource: error: crowdsource:databasePassword is secret: set DB_PASS in the environment"
    )


def test_render_refuses_a_cloud_stack_and_a_folder_of_other_files(cli, tmp_path):
    project = tmp_path / "checkout"
    project.mkdir()
    root = Path(__file__).resolve().parents[2]
    (project / "Pulumi.yaml").write_text((root / "Pulumi.yaml").read_text())
    (project / "infra").symlink_to(root / "infra")
    (project / "Pulumi.aws-dev.yaml").write_text("config:\n  crowdsource:target: aws\n")
    cli.cwd = project
    result = cli.run("k8s", "render", "--stack", "aws-dev", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "targets aws; render writes k8s stacks only" in result.stderr

    cli.cwd = root
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    result = cli.run("k8s", "render", "--stack", "dev", "--out", str(busy))
    assert result.returncode == 1
    assert "holds other files" in result.stderr
    assert (busy / "notes.txt").read_text() == "mine"


def test_cost_of_a_k8s_stack_is_the_capacity_it_reserves(cli):
    result = cli.run("cost", "--stack", "prod")
    assert result.returncode == 0, result.stderr
    assert "web pods 2 vCPU / 2 GiB each, 3-20 replicas" in result.stdout
    assert "reserve 6-40 vCPU and 6 GiB-40 GiB" in result.stdout
