"""The app on any Kubernetes cluster: a Pulumi component, its typed inputs and the stack program."""

from infra.k8s.component import CrowdsourceApp
from infra.k8s.spec import PRESETS, AppArgs, Database, InClusterPostgres, Ingress, Size, Storage

__all__ = [
    "PRESETS",
    "AppArgs",
    "CrowdsourceApp",
    "Database",
    "InClusterPostgres",
    "Ingress",
    "Size",
    "Storage",
]
