"""The kubeconfig a cloud program hands its Kubernetes provider: one cluster, one context, one
user whose short-lived token comes from the cloud's credential plugin (`aws eks get-token`,
gke-gcloud-auth-plugin), so no token is ever stored in the stack's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def exec_kubeconfig(
    name: pulumi.Input[str],
    server: pulumi.Input[str],
    certificate_authority_data: pulumi.Input[str],
    plugin: Mapping[str, Any],
) -> pulumi.Output[str]:
    """The kubeconfig text (JSON, which is YAML) for cluster `name` at `server`, trusting
    `certificate_authority_data` (base64 PEM), with `plugin` as the user's exec stanza
    (command, args…; its apiVersion is set here). Marked secret: it names the endpoint."""
    return pulumi.Output.secret(
        pulumi.Output.json_dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": name,
                        "cluster": {
                            "server": server,
                            "certificate-authority-data": certificate_authority_data,
                        },
                    }
                ],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
                "users": [
                    {"name": name, "user": {"exec": {"apiVersion": EXEC_API_VERSION, **plugin}}}
                ],
            }
        )
    )
