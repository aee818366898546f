"""The CI/CD pipeline (.github/workflows/pipeline.yml), read as data and held to what it must do:
test everything, build one image on main, take it by digest through dev -> test -> prod.

Not validated against GitHub's workflow JSON schema: the schema is not available offline here
(jsonschema is installed, the schema is not, and the tests fetch nothing)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "pipeline.yml"
STAGES = ("dev", "test", "prod")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # PyYAML reads the key `on` as YAML 1.1's boolean True; GitHub reads it as "on".
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="module")
def jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return workflow["jobs"]


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def run_steps(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_every_push_and_pull_request_is_tested(workflow: dict[str, Any], jobs: dict) -> None:
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert (workflow["on"]["push"] or {}).get("branches") in (None, ["**"], ["*"])
    test = jobs["test"]
    assert "if" not in test and not needs(test)
    assert test["runs-on"] == "ubuntu-latest"
    setup = steps_using(test, "actions/setup-python")
    assert setup and str(setup[0]["with"]["python-version"]) == "3.12"
    assert any(run.strip() == ".ci/run" for run in run_steps(test))
    assert (PROJECT_ROOT / ".ci" / "run").is_file()


def test_the_workflow_only_reads_the_repository_by_default(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}


def test_the_image_is_built_only_on_main_after_the_tests(jobs: dict) -> None:
    image = jobs["image"]
    assert "refs/heads/main" in image["if"] and "push" in image["if"]
    assert needs(image) == ["test"]
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    for action in ("actions/checkout", "docker/setup-buildx-action", "docker/login-action"):
        assert steps_using(image, action), action
    (login,) = steps_using(image, "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"

    (build,) = steps_using(image, "docker/build-push-action")
    assert build["uses"] == "docker/build-push-action@v6"
    assert build["with"]["push"] is True
    assert build["with"]["tags"].startswith("${{ steps.name.outputs.repository }}:")
    assert build["with"]["tags"].endswith(":${{ github.sha }}")
    assert build["with"]["cache-from"] == "type=gha"
    assert build["with"]["cache-to"].startswith("type=gha")
    name_step = next(s for s in image["steps"] if s.get("id") == "name")
    assert "ghcr.io/${GITHUB_REPOSITORY,,}" in name_step["run"]  # lower case for the registry

    reference = image["outputs"]["image"]
    digest = "${{ steps." + build["id"] + ".outputs.digest }}"
    assert reference == "${{ steps.name.outputs.repository }}@" + digest


def test_the_image_goes_through_dev_test_and_prod_in_order(jobs: dict) -> None:
    assert needs(jobs["deploy-dev"]) == ["image"]
    assert set(needs(jobs["deploy-test"])) == {"image", "deploy-dev"}
    assert set(needs(jobs["deploy-prod"])) == {"image", "deploy-test"}
    for stage in STAGES:
        job = jobs[f"deploy-{stage}"]
        assert job["environment"] == stage
        assert job["concurrency"] == {"group": f"deploy-{stage}", "cancel-in-progress": False}
        assert "if" not in job  # runs exactly when the stage before it succeeded


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_runs_pulumi_up_on_its_stack_with_the_image_by_digest(
    jobs: dict, stage: str
) -> None:
    job = jobs[f"deploy-{stage}"]
    assert job["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert job["env"]["IMAGE"] == "${{ needs.image.outputs.image }}"
    setup = steps_using(job, "actions/setup-python")
    assert setup and str(setup[0]["with"]["python-version"]) == "3.12"
    assert any("pip install" in run and "'.[infra]'" in run for run in run_steps(job))

    pulumi = steps_using(job, "pulumi/actions")
    assert [s["uses"] for s in pulumi] == ["pulumi/actions@v6"] * 2
    install, up = pulumi
    assert "command" not in install.get("with", {})  # installs the CLI only
    assert up["with"] == {"command": "up", "stack-name": stage, "upsert": False}

    config_set = f'pulumi config set --stack {stage} crowdsource:image "$IMAGE"'
    position = {id(s): i for i, s in enumerate(job["steps"])}
    (config_step,) = [s for s in job["steps"] if s.get("run", "").strip() == config_set]
    assert position[id(install)] < position[id(config_step)] < position[id(up)]

    (kubeconfig,) = [s for s in job["steps"] if "KUBECONFIG_DATA" in s.get("env", {})]
    assert kubeconfig["env"]["KUBECONFIG_DATA"] == "${{ secrets.KUBECONFIG_DATA }}"
    assert 'KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"' in kubeconfig["run"]
    assert position[id(kubeconfig)] < position[id(up)]


def test_the_stacks_exist_beside_the_pulumi_project() -> None:
    if not (PROJECT_ROOT / "Pulumi.yaml").exists():
        pytest.skip("no Pulumi.yaml yet")
    for stage in STAGES:
        assert (PROJECT_ROOT / f"Pulumi.{stage}.yaml").is_file(), stage


def test_every_action_is_pinned_to_at_least_a_major_version(workflow: dict[str, Any]) -> None:
    uses = [step["uses"] for step in all_steps(workflow) if "uses" in step]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})", ref), ref


def test_no_secret_is_written_into_a_script(workflow: dict[str, Any]) -> None:
    """Secrets reach scripts only through `env:` (masked, never expanded into the script)."""
    for step in all_steps(workflow):
        run = step.get("run", "")
        assert "secrets." not in run, run
        assert not re.search(r"(echo|printf|cat)\b[^\n]*\$\{\{\s*secrets\.", run), run
        # Expressions inside scripts are limited to trusted values (no PR titles, branch names).
        for expression in re.findall(r"\$\{\{(.*?)\}\}", run):
            assert expression.strip().startswith(("github.sha", "needs.", "steps.")), run
