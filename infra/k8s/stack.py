"""The `k8s` target: the app on an existing cluster, reached through kubeconfig."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.k8s.component import CrowdsourceApp
from infra.k8s.config import read_app_args


def deploy(config: pulumi.Config) -> CrowdsourceApp:
    """Builds the component from stack config and exports where to find the app."""
    args = read_app_args(config, pulumi.get_stack())
    opts = None
    context = config.get("kubeContext")
    if context:
        # An explicit provider pins the cluster: a changed current-context cannot redirect `up`.
        provider = k8s.Provider("cluster", context=context)
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
    app = CrowdsourceApp("crowdsource", args, opts)
    host = args.ingress.host
    scheme = "https" if args.ingress.tls_secret else "http"
    pulumi.export("namespace", args.namespace)
    pulumi.export("url", f"{scheme}://{host}/" if host else "")
    pulumi.export("migrationJob", app.migration_job_name)
    return app
