"""Every Kubernetes object of the aws stacks validates against the Kubernetes JSON schemas
(kubernetes-validate, strict), for the cluster's version and the newest bundled one. Helm
releases are not Kubernetes objects (no apiVersion) and are left to their charts."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.infra.test_aws_stack import STACKS

# The EKS version in Pulumi.aws-*.yaml, and the newest schemas bundled (the next upgrade).
VERSIONS = ["1.35", kubernetes_validate.latest_version()]
# Custom resources have no bundled schema: EKS's SecurityGroupPolicy (its shape is asserted in
# test_aws_pod_security.py).
NO_SCHEMA_KINDS: set[str] = {"SecurityGroupPolicy"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", STACKS)
def test_every_kubernetes_object_of_the_aws_stacks_validates(stack, name, version):
    cap = stack(name)
    objects = cap.kubernetes_objects()
    kinds = {obj["kind"] for obj in objects}
    # The app's objects plus the Fargate logging namespace and ConfigMap.
    assert {"Deployment", "Ingress", "HorizontalPodAutoscaler", "CronJob", "Job"} <= kinds
    assert any(obj["metadata"]["name"] == "aws-logging" for obj in objects)
    for obj in objects:
        if obj["kind"] not in NO_SCHEMA_KINDS:
            kubernetes_validate.validate(obj, version, strict=True)
    helm = cap.of_type("kubernetes:helm.sh/v3:Release")
    assert len(helm) == 2 and not any("apiVersion" in r.inputs for r in helm)
