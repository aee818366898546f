"""Every Kubernetes object of the gcp stacks validates against the Kubernetes JSON schemas
(kubernetes-validate, strict); GKE's custom resources, which have no bundled schema, are on an
explicit list and checked for their shape instead."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.infra.test_gcp_stack import STACKS
from tests.infra.test_k8s_schemas import VERSIONS, validate

# GKE custom resources: kubernetes-validate bundles schemas for built-in kinds only.
GKE_CUSTOM_KINDS = {
    ("cloud.google.com/v1", "BackendConfig"),
    ("networking.gke.io/v1", "ManagedCertificate"),
    ("networking.gke.io/v1beta1", "FrontendConfig"),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", STACKS)
def test_every_gcp_stack_object_validates_against_the_kubernetes_schemas(stack, name, version):
    objects = stack(name).kubernetes_objects()
    built_in = [o for o in objects if (o["apiVersion"], o["kind"]) not in GKE_CUSTOM_KINDS]
    assert len(built_in) >= 12
    for obj in built_in:
        validate(obj, version)


@pytest.mark.parametrize("name", STACKS)
def test_the_skipped_kinds_are_gke_custom_resources_without_a_schema(stack, name):
    skipped = [
        o
        for o in stack(name).kubernetes_objects()
        if (o["apiVersion"], o["kind"]) in GKE_CUSTOM_KINDS
    ]
    assert {o["kind"] for o in skipped} == {"BackendConfig", "ManagedCertificate"}
    for obj in skipped:
        with pytest.raises(kubernetes_validate.SchemaNotFoundError):
            kubernetes_validate.validate(obj, VERSIONS[0], strict=True)
        # What a schema would have checked first: a named, namespaced object with a spec only.
        assert set(obj) == {"apiVersion", "kind", "metadata", "spec"}
        assert obj["metadata"]["name"] and obj["metadata"]["namespace"]
