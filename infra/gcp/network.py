"""The VPC: one subnetwork with secondary ranges for GKE's pods and services, Cloud NAT for
private nodes' outbound traffic, and private service access so Cloud SQL gets a private IP."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.component import children_of
from infra.gcp.settings import GcpSettings

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


@dataclass(frozen=True)
class NetworkArgs:
    settings: GcpSettings  # the region and the address plan (settings.network)


class Network(pulumi.ComponentResource):
    """VPC, subnetwork, router + NAT and the private service access peering."""

    vpc: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    # The peering that gives Cloud SQL its private IP: the database waits for it.
    service_connection: gcp.servicenetworking.Connection
    database_cidr: str  # where Cloud SQL's private IPs live (for the pods' NetworkPolicy)

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions) -> None:
        super().__init__("crowdsource:gcp:Network", name, None, opts)
        self.vpc, self.subnet, self.service_connection = _build(
            name, args.settings, children_of(self, opts)
        )
        self.database_cidr = args.settings.network.database
        self.register_outputs({"vpc": self.vpc.id, "subnet": self.subnet.id})


def _build(
    name: str, settings: GcpSettings, opts: pulumi.ResourceOptions
) -> tuple[gcp.compute.Network, gcp.compute.Subnetwork, gcp.servicenetworking.Connection]:
    ranges = settings.network
    # Custom mode: an auto-mode VPC creates a subnetwork in every region with fixed ranges
    # that may collide with the pods' range.
    vpc = gcp.compute.Network(
        f"{name}-vpc",
        name=name,
        auto_create_subnetworks=False,
        routing_mode="REGIONAL",
        opts=opts,
    )
    subnet = gcp.compute.Subnetwork(
        f"{name}-subnet",
        name=f"{name}-{settings.region}",
        network=vpc.id,
        region=settings.region,
        ip_cidr_range=ranges.nodes,
        secondary_ip_ranges=[
            gcp.compute.SubnetworkSecondaryIpRangeArgs(
                range_name=PODS_RANGE, ip_cidr_range=ranges.pods
            ),
            gcp.compute.SubnetworkSecondaryIpRangeArgs(
                range_name=SERVICES_RANGE, ip_cidr_range=ranges.services
            ),
        ],
        # Private nodes reach Google APIs (GCS, Artifact Registry) without public IPs.
        private_ip_google_access=True,
        log_config=gcp.compute.SubnetworkLogConfigArgs(
            aggregation_interval="INTERVAL_10_MIN", flow_sampling=0.1
        ),
        opts=opts,
    )
    router = gcp.compute.Router(
        f"{name}-router", name=name, network=vpc.id, region=settings.region, opts=opts
    )
    # Private nodes have no public address: NAT lets them pull public images and call APIs
    # that Private Google Access does not cover.
    gcp.compute.RouterNat(
        f"{name}-nat",
        name=name,
        router=router.name,
        region=settings.region,
        nat_ip_allocate_option="AUTO_ONLY",
        source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
        log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
        opts=opts,
    )
    database = ipaddress.ip_network(ranges.database)
    peering_range = gcp.compute.GlobalAddress(
        f"{name}-services-range",
        name=f"{name}-services",
        purpose="VPC_PEERING",
        address_type="INTERNAL",
        address=str(database.network_address),
        prefix_length=database.prefixlen,
        network=vpc.id,
        opts=opts,
    )
    connection = gcp.servicenetworking.Connection(
        f"{name}-services-peering",
        network=vpc.id,
        service="servicenetworking.googleapis.com",
        reserved_peering_ranges=[peering_range.name],
        # On `pulumi destroy` Google refuses to delete a connection its producers (Cloud SQL) still
        # hold for a while; REMOVE_PEERING then drops the peering so the VPC can go too.
        deletion_policy="REMOVE_PEERING",
        opts=opts,
    )
    return vpc, subnet, connection
