"""Mock answers for Google Cloud resources under Pulumi's unit-test mocks (infra/capture.py
merges them): the values the real provider would compute (self links, addresses, emails…),
made up but shaped like the real ones so the program's string handling is exercised."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

OutputFactory = Callable[[str, dict[str, Any]], dict[str, Any]]

PROJECT_NUMBER = "123456789012"
# Stands in for the cluster's CA: a PEM header, base64-encoded like the real field.
CA_CERTIFICATE = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMOCK\n").decode()


# Stands in for a Cloud SQL instance's server CA certificate.
SQL_SERVER_CA = "-----BEGIN CERTIFICATE-----\nMOCK-CLOUD-SQL-SERVER-CA\n-----END CERTIFICATE-----"


def _project() -> str:
    return pulumi.Config("gcp").get("project") or "mock-project"


def _region() -> str:
    return pulumi.Config("gcp").get("region") or "asia-south1"


def _name(name: str, inputs: dict[str, Any]) -> str:
    # Pulumi auto-names resources without a `name`: mimic it (logical name + a suffix).
    return str(inputs.get("name") or f"{name}-1a2b3c4")


def _octet(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:2], 16) % 250 + 1


def _global(collection: str) -> OutputFactory:
    def outputs(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        resource = _name(name, inputs)
        link = f"https://www.googleapis.com/compute/v1/projects/{_project()}/global/{collection}/{resource}"
        return {"name": resource, "selfLink": link}

    return outputs


def _regional(collection: str) -> OutputFactory:
    def outputs(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        resource = _name(name, inputs)
        region = inputs.get("region") or _region()
        link = (
            f"https://www.googleapis.com/compute/v1/projects/{_project()}/regions/{region}/"
            f"{collection}/{resource}"
        )
        return {"name": resource, "selfLink": link}

    return outputs


def _global_address(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    # Internal ranges are pinned by the program; external addresses are Google's to choose.
    address = inputs.get("address") or f"34.120.{_octet(name)}.10"
    return {**_global("addresses")(name, inputs), "address": address}


def _cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    resource = _name(name, inputs)
    return {
        "name": resource,
        "endpoint": f"34.93.{_octet(name)}.2",
        "masterAuth": {"clusterCaCertificate": CA_CERTIFICATE},
        "selfLink": f"https://container.googleapis.com/v1/projects/{_project()}/locations/"
        f"{inputs.get('location')}/clusters/{resource}",
    }


def _sql_instance(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    resource = _name(name, inputs)
    region = inputs.get("region") or _region()
    return {
        "name": resource,
        "connectionName": f"{_project()}:{region}:{resource}",
        # The first address of the private service access range (10.30.0.0/16 by default).
        "privateIpAddress": "10.30.0.3",
        # The per-instance server CA (a stand-in PEM).
        "serverCaCerts": [{"cert": SQL_SERVER_CA, "commonName": f"CN={resource}"}],
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{_project()}/"
        f"instances/{resource}",
    }


def _service_account(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    email = f"{inputs['accountId']}@{_project()}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{_project()}/serviceAccounts/{email}",
        "uniqueId": "104" + PROJECT_NUMBER,
    }


def _bucket(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    resource = _name(name, inputs)
    return {
        "name": resource,
        "url": f"gs://{resource}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{resource}",
        "projectNumber": PROJECT_NUMBER,
    }


def _repository(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    location, repository = inputs.get("location") or _region(), inputs["repositoryId"]
    return {
        "name": repository,
        "registryUri": f"{location}-docker.pkg.dev/{_project()}/{repository}",
    }


def _notification_channel(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"projects/{_project()}/notificationChannels/{_octet(name)}0042"}


OUTPUTS: dict[str, OutputFactory] = {
    "gcp:compute/network:Network": _global("networks"),
    "gcp:compute/subnetwork:Subnetwork": _regional("subnetworks"),
    "gcp:compute/router:Router": _regional("routers"),
    "gcp:compute/globalAddress:GlobalAddress": _global_address,
    "gcp:compute/securityPolicy:SecurityPolicy": _global("securityPolicies"),
    "gcp:compute/backendBucket:BackendBucket": _global("backendBuckets"),
    "gcp:compute/uRLMap:URLMap": _global("urlMaps"),
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": _global("targetHttpsProxies"),
    "gcp:compute/targetHttpProxy:TargetHttpProxy": _global("targetHttpProxies"),
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": _global("sslCertificates"),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _global("forwardingRules"),
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:sql/databaseInstance:DatabaseInstance": _sql_instance,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:artifactregistry/repository:Repository": _repository,
    "gcp:monitoring/notificationChannel:NotificationChannel": _notification_channel,
}

# Data sources a program may call.
CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "gcp:organizations/getProject:getProject": lambda args: {
        "projectId": args.get("projectId") or _project(),
        "number": PROJECT_NUMBER,
        "name": args.get("projectId") or _project(),
    },
    "gcp:organizations/getClientConfig:getClientConfig": lambda args: {
        "project": _project(),
        "region": _region(),
        "accessToken": "mock-access-token",
    },
}
