"""Rules for the Kubernetes objects of any stack (k8s, aws, gcp)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from infra.policy import Policy, Resource

WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
)
_SECRET_NAME = re.compile(r"(PASS|PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|ACCESS_KEY)", re.I)
_OLD_APIS = re.compile(r"^kubernetes:(extensions/v1beta1|[a-z.]+/v\d+(alpha|beta)\d*):")


def pod_spec_of(props: dict[str, Any]) -> dict[str, Any]:
    spec = props.get("spec") or {}
    if "jobTemplate" in spec:
        spec = spec["jobTemplate"].get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def _containers(props: dict[str, Any]) -> list[dict[str, Any]]:
    pod = pod_spec_of(props)
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def check_hardened(props: dict[str, Any]) -> str | None:
    pod = pod_spec_of(props)
    if (pod.get("securityContext") or {}).get("runAsNonRoot") is not True:
        return "the pod must set securityContext.runAsNonRoot: true"
    for c in _containers(props):
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            return f"container {c.get('name')}: allowPrivilegeEscalation must be false"
        if sc.get("readOnlyRootFilesystem") is not True:
            return f"container {c.get('name')}: readOnlyRootFilesystem must be true"
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            return f"container {c.get('name')}: capabilities must drop ALL"
        if sc.get("privileged"):
            return f"container {c.get('name')}: privileged containers are not allowed"
    return None


def check_resources(props: dict[str, Any]) -> str | None:
    for c in _containers(props):
        resources = c.get("resources") or {}
        if not (resources.get("requests") or {}).get("cpu"):
            return (
                f"container {c.get('name')}: set a CPU request (the HPA and the scheduler need it)"
            )
        if not (resources.get("limits") or {}).get("memory"):
            return f"container {c.get('name')}: set a memory limit"
    return None


def check_plain_env(props: dict[str, Any]) -> str | None:
    for c in _containers(props):
        for env in c.get("env") or []:
            if "value" in env and _SECRET_NAME.search(str(env.get("name", ""))):
                return f"container {c.get('name')}: {env['name']} is a literal; use a Secret"
    return None


def check_config_map(props: dict[str, Any]) -> str | None:
    for key in props.get("data") or {}:
        if _SECRET_NAME.search(key):
            return f"ConfigMap key {key} looks secret; put it in a Secret"
    return None


def check_probes(props: dict[str, Any]) -> str | None:
    for c in (pod_spec_of(props).get("containers")) or []:
        if not c.get("livenessProbe") or not c.get("readinessProbe"):
            return f"container {c.get('name')}: needs liveness and readiness probes"
    return None


def check_current_apis(resources: Sequence[Resource]) -> Iterable[str]:
    for r in resources:
        if _OLD_APIS.match(r.type):
            yield f"{r.name} uses {r.type.split(':')[1]}: use the GA API version"


K8S_POLICIES = [
    Policy(
        "k8s-pods-hardened",
        "Pods run as non-root, read-only root filesystem, no privilege escalation, "
        "all capabilities dropped.",
        WORKLOADS,
        check=check_hardened,
    ),
    Policy(
        "k8s-resources-set",
        "Every container has a CPU request and a memory limit.",
        WORKLOADS,
        check=check_resources,
    ),
    Policy(
        "k8s-no-literal-secret-env",
        "No password, token or key as a literal environment value.",
        WORKLOADS,
        check=check_plain_env,
    ),
    Policy(
        "k8s-no-secret-in-configmap",
        "ConfigMaps hold no secret-looking keys.",
        ("kubernetes:core/v1:ConfigMap",),
        check=check_config_map,
    ),
    Policy(
        "k8s-web-probes",
        "Long-running pods have liveness and readiness probes.",
        ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"),
        check=check_probes,
    ),
    Policy(
        "k8s-ga-apis",
        "Only GA Kubernetes API versions (no beta APIs that clusters stop serving).",
        check_stack=check_current_apis,
    ),
]
