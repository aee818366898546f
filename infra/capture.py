"""Run a Pulumi program under Pulumi's unit-test mocks and keep what it registers.

The Pulumi CLI is not needed: the program runs in this process against a mock engine. Tests use
this to assert on every resource, `crowdsource k8s render` to write the Kubernetes objects as YAML,
and `crowdsource cost` to price what a stack creates.
"""

from __future__ import annotations

import importlib
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

# Pulumi marks a secret value on the wire with this key (see pulumi.runtime.rpc).
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"

# Mock outputs per resource type, for values a real provider computes (ids, ARNs, passwords…).
# Later programs add theirs: `OUTPUTS["aws:rds/instance:Instance"] = lambda name, inputs: {...}`.
OutputFactory = Callable[[str, dict[str, Any]], dict[str, Any]]
OUTPUTS: dict[str, OutputFactory] = {
    "random:index/randomPassword:RandomPassword": lambda name, inputs: {
        "result": secrets.token_urlsafe(int(inputs.get("length", 32)))[
            : int(inputs.get("length", 32))
        ]
    },
}
# Answers to provider functions (data sources) by token.
CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
# Each cloud program's `mocks` module adds its own OUTPUTS and CALLS (ids, ARNs, endpoints, zones).
CLOUD_MOCKS = ("infra.aws.mocks", "infra.gcp.mocks")


def _load_cloud_mocks() -> None:
    for module_name in CLOUD_MOCKS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue
        OUTPUTS.update(getattr(module, "OUTPUTS", {}))
        CALLS.update(getattr(module, "CALLS", {}))


@dataclass
class Registered:
    """One resource the program registered: its type token, logical name and inputs."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    parent: str
    dependencies: list[str]
    outputs: dict[str, Any] = field(default_factory=dict)
    provider: str = ""  # "<provider urn>::<id>" when one was given explicitly or inherited

    @property
    def plain_inputs(self) -> dict[str, Any]:
        """The inputs with secret markers removed."""
        return reveal(self.inputs)


@dataclass
class Capture:
    """Everything one run of a program registered, in registration order."""

    resources: list[Registered]
    stack_outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registered:
        """The single resource of this type (and name suffix), or AssertionError."""
        found = [r for r in self.of_type(type_token) if name is None or r.name.endswith(name)]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_token)]
            raise AssertionError(f"expected one {type_token} {name or ''}; found {names}")
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.resources if r.urn == urn)

    def kubernetes_objects(self) -> list[dict[str, Any]]:
        """The Kubernetes objects (apiVersion, kind, metadata…) with secret values revealed."""
        return [
            reveal(r.inputs)
            for r in self.resources
            if r.type.startswith("kubernetes:") and "apiVersion" in r.inputs
        ]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIGNATURE in value


def reveal(value: Any) -> Any:
    """A copy of `value` with every secret marker replaced by the value it wraps."""
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # numbers cross the wire as floats; Kubernetes wants integers
    return value


def walk(value: Any) -> Iterator[Any]:
    """Every scalar in a nested structure, secrets still wrapped (a wrapped secret is one item)."""
    if is_secret(value):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
    else:
        yield value


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        factory = OUTPUTS.get(args.typ)
        if factory is not None:
            outputs |= factory(args.name, args.inputs)
        return f"{args.name}-id", outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        answer = CALLS.get(args.token)
        return (answer(args.args) if answer else {}), []  # no check failures


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping each registration's parent and dependencies. A resource
    whose type token or logical name is in `delays` takes that many seconds to be created, as
    a cluster or a database does in a real cloud: what waits for it (by data or depends_on)
    is registered after it, and what does not may come first."""

    def __init__(self, mocks: pulumi.runtime.Mocks, delays: Mapping[str, float]) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.delays = dict(delays)

    def RegisterResource(self, request: Any) -> Any:
        delay = self.delays.get(request.type, self.delays.get(request.name, 0.0))
        if delay:
            time.sleep(delay)  # registrations run on the SDK's worker threads
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            from pulumi.runtime import rpc

            inputs = rpc.deserialize_properties(request.object)
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=inputs,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    outputs=dict(self.resources[response.urn].state),
                    provider=request.provider,
                )
            )
        return response


def capture(
    program: Callable[[], Any],
    *,
    stack: str,
    config: Mapping[str, Any],
    project: str = "crowdsource",
    secret_keys: tuple[str, ...] = (),
    delays: Mapping[str, float] | None = None,
) -> Capture:
    """Runs `program` as stack `stack` with `config` ({"crowdsource:key": value}; objects are
    given as dicts) and returns what it registered, in the order the engine got it. `delays`
    ({type token or logical name: seconds}) makes those resources slow to create, for tests of
    ordering. Errors in the program propagate."""
    _load_cloud_mocks()
    monitor = _RecordingMonitor(_Mocks(), delays or {})
    pulumi_settings.ROOT.set(None)  # a fresh Stack resource for this run
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()},
        list(secret_keys),
    )
    exported: dict[str, Any] = {}

    def run() -> pulumi.Output[Any] | None:
        program()
        # `pulumi.export` values live on the root Stack resource; resolve them with the rest.
        root = pulumi_settings.get_root_resource()
        outputs = dict(getattr(root, "outputs", {}))
        return pulumi.Output.all(**outputs).apply(exported.update) if outputs else None

    pulumi_mocks.test(run)()
    return Capture(resources=monitor.registered, stack_outputs=exported)
