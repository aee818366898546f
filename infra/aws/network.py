"""The VPC: public and private subnets in three availability zones, NAT, and an S3 endpoint.

Public subnets hold the ALB and the NAT gateways; private subnets hold everything else (Fargate
pods, the EKS control plane's network interfaces, RDS). The subnet tags are how the AWS Load
Balancer Controller finds where to put load balancers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.settings import AwsSettings

AZ_COUNT = 3


@dataclass(frozen=True)
class SubnetPlan:
    zone: str
    public_cidr: str
    private_cidr: str


def plan_subnets(vpc_cidr: str, zones: tuple[str, ...]) -> list[SubnetPlan]:
    """Cuts the VPC into eighths: private subnets get the first three (Fargate takes one address
    per pod), public subnets the next three; two eighths stay free for later tiers."""
    blocks = list(ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=3))
    return [
        SubnetPlan(zone, str(blocks[i]), str(blocks[AZ_COUNT + i]))
        for i, zone in enumerate(zones[:AZ_COUNT])
    ]


class Network(pulumi.ComponentResource):
    """VPC, subnets, internet gateway, NAT gateway(s), route tables and an S3 gateway endpoint."""

    def __init__(
        self,
        name: str,
        settings: AwsSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("crowdsource:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_tag = {f"kubernetes.io/cluster/{settings.cluster_name}": "shared"}
        self.cidr = settings.network.cidr

        self.vpc = aws.ec2.Vpc(
            name,
            cidr_block=self.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # EKS private endpoint and RDS names resolve in the VPC
            tags={"Name": f"{settings.cluster_name}"},
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags={"Name": f"{settings.cluster_name}-public"},
            opts=child,
        )

        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        self.private_route_tables: list[aws.ec2.RouteTable] = []
        self.nat_gateways: list[aws.ec2.NatGateway] = []
        for index, plan in enumerate(plan_subnets(self.cidr, settings.network.zones)):
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=self.vpc.id,
                cidr_block=plan.public_cidr,
                availability_zone=plan.zone,
                # Only the ALB and NAT live here; nothing needs an automatic public address.
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{settings.cluster_name}-public-{plan.zone}",
                    "kubernetes.io/role/elb": "1",  # internet-facing load balancers go here
                    **cluster_tag,
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=public.id,
                route_table_id=public_routes.id,
                opts=child,
            )
            self.public_subnets.append(public)
            if index == 0 or settings.network.nat_per_az:
                address = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", opts=child)
                self.nat_gateways.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{index}",
                        allocation_id=address.id,
                        subnet_id=public.id,
                        tags={"Name": f"{settings.cluster_name}-nat-{plan.zone}"},
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                    )
                )
            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=plan.private_cidr,
                availability_zone=plan.zone,
                tags={
                    "Name": f"{settings.cluster_name}-private-{plan.zone}",
                    "kubernetes.io/role/internal-elb": "1",
                    **cluster_tag,
                },
                opts=child,
            )
            # Each zone leaves through its own NAT when there is one per zone, so losing a
            # zone does not cut the others off; otherwise all share the first.
            nat = self.nat_gateways[-1]
            routes = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                tags={"Name": f"{settings.cluster_name}-private-{plan.zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}",
                subnet_id=private.id,
                route_table_id=routes.id,
                opts=child,
            )
            self.private_subnets.append(private)
            self.private_route_tables.append(routes)

        # Recordings travel between the pods and S3 through this free gateway endpoint instead
        # of the NAT gateway, which charges per GB.
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{settings.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in self.private_route_tables],
            opts=child,
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "public_subnet_ids": [s.id for s in self.public_subnets],
                "private_subnet_ids": [s.id for s in self.private_subnets],
            }
        )
