"""The first `pulumi up` on a fresh project: what needs the GKE cluster or the Cloud SQL instance
is created after it. The mocks make one resource slow to create (infra/capture.py `delays`), as
a real cluster (minutes) or database is; anything registered before it finishes did not wait
for it, and on a real project would be created too early."""

from __future__ import annotations

import pytest

from infra.capture import Capture, Registered
from tests.infra.conftest import build_stack

CLUSTER = "gcp:container/cluster:Cluster"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
WI_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
STACKS = ["gcp-dev", "gcp-prod"]
SLOW = 1.0  # seconds; the rest of the program registers in well under that


def _index(cap: Capture, r: Registered) -> int:
    return cap.resources.index(r)


def _registered_before(cap: Capture, slow: Registered, needs: list[Registered]) -> list[str]:
    return [f"{r.type} {r.name}" for r in needs if _index(cap, r) < _index(cap, slow)]


@pytest.fixture(scope="module")
def slow_cluster() -> dict[str, Capture]:
    return {name: build_stack(name, delays={CLUSTER: SLOW}) for name in STACKS}


@pytest.fixture(scope="module")
def slow_database() -> dict[str, Capture]:
    return {name: build_stack(name, delays={SQL: SLOW}) for name in STACKS}


@pytest.mark.parametrize("name", STACKS)
def test_the_workload_identity_member_waits_for_the_cluster(slow_cluster, name):
    # PROJECT.svc.id.goog exists once a Workload Identity cluster does; before that IAM
    # answers "Error 400: Identity Pool does not exist".
    cap = slow_cluster[name]
    cluster, member = cap.one(CLUSTER), cap.one(WI_MEMBER, "app-workload-identity")
    assert member.plain_inputs["member"].startswith("serviceAccount:")
    assert ".svc.id.goog[" in member.plain_inputs["member"]
    assert _registered_before(cap, cluster, [member]) == []
    assert cluster.urn in member.dependencies


@pytest.mark.parametrize("name", STACKS)
def test_nothing_on_the_cluster_is_created_before_it(slow_cluster, name):
    cap = slow_cluster[name]
    cluster = cap.one(CLUSTER)
    on_cluster = [r for r in cap.resources if r.type.startswith("kubernetes:")]
    assert len(on_cluster) >= 10
    needs = [cap.one("pulumi:providers:kubernetes"), *on_cluster]
    assert _registered_before(cap, cluster, needs) == []


@pytest.mark.parametrize("name", STACKS)
def test_the_database_user_and_the_app_wait_for_the_sql_instance(slow_database, name):
    cap = slow_database[name]
    instance = cap.one(SQL)
    needs = [
        cap.one("gcp:sql/database:Database"),
        cap.one("gcp:sql/user:User"),
        # The app's settings name the instance's address, and its CA reaches the pods.
        cap.one("kubernetes:core/v1:ConfigMap", "-config"),
        cap.one("kubernetes:batch/v1:Job"),
        cap.one("kubernetes:apps/v1:Deployment", "web"),
        cap.one("kubernetes:batch/v1:CronJob"),
        # The alerts on the database name the instance.
        *[
            r
            for r in cap.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
            if r.name.endswith(("DatabaseCpuHigh", "DatabaseStorageLow", "DatabaseConnectionsHigh"))
        ],
    ]
    assert len(needs) == 9
    assert _registered_before(cap, instance, needs) == []


GRANTS = "gcp:storage/bucketIAMMember:BucketIAMMember"


@pytest.mark.parametrize(
    "slow",
    [("gcp:sql/user:User",), (WI_MEMBER, GRANTS)],
    ids=["database-user", "workload-identity-and-bucket-grants"],
)
def test_the_migration_and_the_pods_wait_for_their_login_and_grants(slow):
    # The Job connects as the database user; the pods act through the Workload Identity
    # binding and the bucket grants. Each group is made slow in turn.
    cap = build_stack("gcp-dev", delays=dict.fromkeys(slow, SLOW))
    # (The dashboard's public-read grant is for the CDN, not the app.)
    needed = [r for r in cap.resources if r.type in slow and not r.name.endswith("public-read")]
    assert needed
    for workload in (
        cap.one("kubernetes:batch/v1:Job"),
        cap.one("kubernetes:apps/v1:Deployment", "web"),
        cap.one("kubernetes:batch/v1:CronJob"),
    ):
        assert _registered_before(cap, workload, needed) == [
            f"{r.type} {r.name}" for r in needed
        ], workload.name
