"""Run the Pulumi program under recording mocks: the code `pulumi up` runs, with a recording engine.

The engine is replaced by `pulumi.runtime.set_mocks`; nothing else changes. Every resource registration the
mocked monitor receives is recorded (type, name, parent, inputs in the engine's camelCase form, dependencies),
and the outputs the program reads back (IP addresses, connection names, the image digest, the service URL)
get deterministic values so the plan is the same on every run.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto.resource_pb2 import RESOURCE_MONITOR_FEATURE_ALIAS_SPECS
from pulumi.runtime.stack import Stack, massage, run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from infra.config import ConfigError, StackConfig, load_stack_config
from plan import Plan, PlannedResource
from plan.wire import with_placeholders

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _fake_ip(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return f"10.{digest[0] % 200 + 20}.{digest[1]}.{digest[2] % 250 + 2}"


def _fake_hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


_FAKE_CA_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIoffline-plan-placeholder\n-----END CERTIFICATE-----\n"


def _computed_outputs(resource_type: str, name: str, inputs: dict[str, Any], project: str) -> dict[str, Any]:
    """The outputs the provider would compute that the program reads back: deterministic stand-ins."""
    region = inputs.get("region") or inputs.get("location") or "us-central1"
    match resource_type:
        case "gcp:sql/databaseInstance:DatabaseInstance":
            instance = inputs.get("name", name)
            return {
                "name": instance,
                "connectionName": f"{project}:{region}:{instance}",
                "privateIpAddress": _fake_ip(name),
                "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{project}/instances/{instance}",
            }
        case "gcp:redis/instance:Instance":
            return {
                "host": _fake_ip(name),
                "port": 6378 if inputs.get("transitEncryptionMode") == "SERVER_AUTHENTICATION" else 6379,
                "authString": f"offline-auth-{_fake_hex(name, 16)}",
                "serverCaCerts": [{"cert": _FAKE_CA_CERTIFICATE}],
            }
        case "gcp:serviceaccount/account:Account":
            account_id = inputs.get("accountId", name)
            email = f"{account_id}@{project}.iam.gserviceaccount.com"
            return {
                "email": email,
                "member": f"serviceAccount:{email}",
                "name": f"projects/{project}/{email}",
            }
        case "gcp:artifactregistry/repository:Repository":
            return {"name": inputs.get("repositoryId", name)}
        case "docker:index/image:Image":
            image_name = inputs.get("imageName", name)
            return {"repoDigest": f"{image_name.split(':')[0]}@sha256:{_fake_hex(image_name, 64)}"}
        case "gcp:cloudrunv2/service:Service":
            service = inputs.get("name", name)
            return {"name": service, "uri": f"https://{service}-{_fake_hex(service, 10)}-uc.a.run.app"}
        case "gcp:container/cluster:Cluster":
            endpoints = inputs.get("controlPlaneEndpointsConfig") or {}
            dns_endpoint = {
                **endpoints.get("dnsEndpointConfig", {}),
                "endpoint": f"gke-{_fake_hex(name, 32)}-123456789012.{region}.gke.goog",
            }
            return {
                "endpoint": _fake_ip(name),
                "controlPlaneEndpointsConfig": {**endpoints, "dnsEndpointConfig": dns_endpoint},
                "masterAuth": {"clusterCaCertificate": "b2ZmbGluZS1wbGFuLWNh"},
                "name": inputs.get("name", name),
            }
        case "gcp:compute/network:Network" | "gcp:compute/subnetwork:Subnetwork" | "gcp:compute/router:Router":
            kind = resource_type.rsplit(":", 1)[1].lower() + "s"
            resource_name = inputs.get("name", name)
            return {
                "name": resource_name,
                "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/global/{kind}/{resource_name}",
            }
        case "gcp:compute/globalAddress:GlobalAddress":
            # An external address gets one of TEST-NET-3 (RFC 5737), which no real address is.
            fallback = (
                f"203.0.113.{int(_fake_hex(name, 2), 16) % 254 + 1}"
                if inputs.get("addressType") == "EXTERNAL"
                else "10.100.0.0"
            )
            return {"name": inputs.get("name", name), "address": inputs.get("address", fallback)}
        case "gcp:secretmanager/secret:Secret":
            return {"name": f"projects/{project}/secrets/{inputs.get('secretId', name)}"}
        case "gcp:secretmanager/secretVersion:SecretVersion":
            return {"version": "1", "name": f"{inputs.get('secret', name)}/versions/1"}
        case "gcp:monitoring/notificationChannel:NotificationChannel":
            return {"name": f"projects/{project}/notificationChannels/{int(_fake_hex(name, 12), 16)}"}
        case "gcp:monitoring/genericService:GenericService" | "gcp:monitoring/customService:CustomService":
            return {"name": f"projects/{project}/services/{inputs.get('serviceId', name)}"}
        case "gcp:monitoring/slo:Slo":
            slo_id = inputs.get("sloId", name)
            return {"name": f"projects/{project}/services/{inputs.get('service')}/serviceLevelObjectives/{slo_id}"}
        case "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            return {"uptimeCheckId": f"{name}-{_fake_hex(name, 8)}"}
        case "gcp:monitoring/dashboard:Dashboard":
            return {"id": f"projects/{project}/dashboards/{_fake_hex(name, 16)}"}
        case "random:index/randomPassword:RandomPassword":
            return {"result": f"offline-{_fake_hex(name, int(inputs.get('length', 32)))}"}
        case _:
            return {}


class _DeterministicMocks(pulumi_mocks.Mocks):
    def __init__(self, project: str) -> None:
        self.project = project

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = _computed_outputs(args.typ, args.name, args.inputs, self.project)
        resource_id = outputs.get("name") or f"{args.name}-id"
        return str(resource_id), {**args.inputs, **outputs}

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "gcp:organizations/getClientConfig:getClientConfig":
            return {
                "accessToken": "offline-access-token",
                "project": self.project,
                "region": "us-central1",
                "zone": "us-central1-a",
                "id": "offline",
            }
        if args.token == "gcp:organizations/getProject:getProject":
            return {"projectId": self.project, "number": "123456789012", "name": self.project}
        return {}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks, plan: Plan) -> None:
        super().__init__(mocks)
        self.plan = plan
        self.stack_urn: str | None = None

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        dependencies = dict.fromkeys(request.dependencies)
        for property_dependencies in request.propertyDependencies.values():
            dependencies.update(dict.fromkeys(property_dependencies.urns))
        inputs = with_placeholders(json_format.MessageToDict(request.object))
        self.plan.resources.append(
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent if request.parent and request.parent != self.stack_urn else None,
                custom=bool(request.custom),
                inputs=inputs,
                dependencies=tuple(sorted(urn for urn in dependencies if urn and urn != self.stack_urn)),
                aliases=_moved_from(request.type, request.aliasURNs),
            )
        )
        return response

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        # Without alias specs the SDK resolves each `pulumi.Alias` to the full URN it stands for, which is what the
        # plan records (and what `pulumi stack export` shows).
        info = super().GetDeploymentInfo(request)
        features = [feature for feature in info.supportedFeatures if feature != RESOURCE_MONITOR_FEATURE_ALIAS_SPECS]
        del info.supportedFeatures[:]
        info.supportedFeatures.extend(features)
        return info

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        if request.urn == self.stack_urn:
            self.plan.outputs = with_placeholders(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


def _moved_from(resource_type: str, alias_urns: Any) -> tuple[str, ...]:
    """The URNs of the same resource under another parent or name, as the mock monitor spells URNs.

    Provider SDKs alias their types' former tokens on every resource of the type; those say nothing about this
    program, so only same-type aliases count. The SDK derives an alias URN from the old parent's full type chain,
    while the mock monitor names a resource by its parent's own type alone; the alias is rewritten the mock's way so
    that it matches the URN an older plan recorded.
    """
    moved = []
    for urn in alias_urns:
        if not urn:
            continue
        parts = urn.split("::")
        types = parts[2].split("$")
        if types[-1] != resource_type:
            continue
        parts[2] = "$".join(types[-2:])
        moved.append("::".join(parts))
    return tuple(sorted(moved))


def _engine_config_value(value: Any) -> str:
    """Pulumi hands every config value to the program as a string; objects and lists as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _project_defaults(project_document: Mapping[str, Any], project: str) -> dict[str, Any]:
    """What Pulumi.yaml's `config:` block gives every stack: declared defaults and plain values."""
    defaults: dict[str, Any] = {}
    for key, declaration in (project_document.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(declaration, dict) and "type" in declaration:
            if "default" in declaration:
                defaults[full_key] = _engine_config_value(declaration["default"])
        elif isinstance(declaration, dict) and "value" in declaration:
            defaults[full_key] = _engine_config_value(declaration["value"])
        else:
            defaults[full_key] = _engine_config_value(declaration)
    return defaults


def read_stack_file(stack: str, project_dir: Path) -> tuple[str, dict[str, Any], set[str]]:
    """Read Pulumi.yaml and Pulumi.<stack>.yaml as the CLI would: project name, config for the engine, secret keys.

    `secure:` values cannot be decrypted here; they are replaced by a placeholder and kept secret.
    """
    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not project_file.is_file():
        raise ConfigError([f"{project_file}: not found (run from the project root or pass project_dir)"])
    if not stack_file.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise ConfigError([f"{stack_file.name}: no such stack file (stacks here: {', '.join(known) or 'none'})"])
    project_document = yaml.safe_load(project_file.read_text())
    project = project_document["name"]
    try:
        stack_document = yaml.safe_load(stack_file.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError([f"{stack_file.name}: not valid YAML: {error}"]) from error
    raw_config = stack_document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise ConfigError([f"{stack_file.name}: config: must be a mapping of keys to values"])
    engine_config: dict[str, Any] = _project_defaults(project_document, project)
    secret_keys: set[str] = set()
    for key, value in raw_config.items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            engine_config[full_key] = f"[secure value of {full_key}]"
            secret_keys.add(full_key)
        else:
            engine_config[full_key] = _engine_config_value(value)
    return project, engine_config, secret_keys


@contextmanager
def _mocked_engine(project: str, stack: str, config: Mapping[str, str], secret_keys: set[str]) -> Iterator[Plan]:
    plan = Plan(stack=stack, project=project)
    previous_config = dict(pulumi.runtime.config.CONFIG.get())
    previous_secret_keys = set(pulumi.runtime.config._SECRET_KEYS.get())
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    # A fresh root stack per run, so several stacks can be planned in one process.
    pulumi.runtime.reset_options(project=project, stack=stack)
    monitor = _RecordingMonitor(_DeterministicMocks(config.get("gcp:project", project)), plan)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
    try:
        yield plan
    finally:
        pulumi.runtime.set_all_config(previous_config, sorted(previous_secret_keys))


def run_program(
    program: Callable[[], None],
    *,
    project: str = "inference",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_keys: set[str] | None = None,
) -> Plan:
    """Run any program (a whole stack or one component) under recording mocks and return what it registered."""
    engine_config = {key: _engine_config_value(value) for key, value in (config or {}).items()}
    with _mocked_engine(project, stack, engine_config, secret_keys or set()) as plan:
        root = pulumi.runtime.settings.get_root_resource()
        _sync_await(run_pulumi_func(program))
        if isinstance(root, Stack):
            # set_mocks registered the root stack's (empty) outputs before the program ran; send the exports.
            root.register_outputs(massage(root.outputs, []))
            _sync_await(wait_for_rpcs())
    # Registrations arrive from several threads in no fixed order; sorted, the same program gives the same plan.
    plan.resources.sort(key=lambda resource: resource.urn)
    return plan


def run_main(project_dir: Path) -> None:
    """Run the program's `main` folder the way the Pulumi Python host does: runpy on the folder, cwd at the root."""
    previous_cwd = Path.cwd()
    os.chdir(project_dir)
    saved_path = list(sys.path)
    try:
        runpy.run_path(str(project_dir / "infra"), run_name="__main__")
    finally:
        sys.path[:] = saved_path
        os.chdir(previous_cwd)


def validate_stack(stack: str, project_dir: Path | None = None) -> StackConfig:
    """Validate a stack file without running anything: raises ConfigError listing every problem."""
    project_dir = project_dir or Path.cwd()
    _project, engine_config, _secret_keys = read_stack_file(stack, project_dir)
    return load_stack_config(engine_config, stack_file=f"Pulumi.{stack}.yaml", stack=stack, project_dir=project_dir)


def plan_stack(stack: str, project_dir: Path | None = None, *, cache: bool = True) -> Plan:
    """Validate Pulumi.<stack>.yaml, then run infra/ under recording mocks and return the plan.

    With `cache`, a plan is reused while nothing it depends on has changed (see `_cache_key`): importing
    pulumi-gcp's compute module alone takes seconds, and CI plans every stack several times (plan, check, cost).
    """
    project_dir = (project_dir or Path.cwd()).resolve()
    project, engine_config, secret_keys = read_stack_file(stack, project_dir)
    load_stack_config(engine_config, stack_file=f"Pulumi.{stack}.yaml", stack=stack, project_dir=project_dir)
    cache_file = project_dir / PLAN_CACHE_DIR / f"{stack}-{_cache_key(stack, project_dir)}.json"
    if cache and cache_file.is_file():
        return Plan.from_dict(json.loads(cache_file.read_text()))
    plan = run_program(
        lambda: run_main(project_dir), project=project, stack=stack, config=engine_config, secret_keys=secret_keys
    )
    if cache:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        for stale in cache_file.parent.glob(f"{stack}-*.json"):
            stale.unlink()
        cache_file.write_text(json.dumps(plan.to_dict(include_outputs=True)))
    return plan


PLAN_CACHE_DIR = Path(".cache") / "plans"
_PLAN_INPUT_PACKAGES = ("pulumi", "pulumi-gcp", "pulumi-docker", "pulumi-kubernetes", "pulumi-random", "pydantic")


def _cache_key(stack: str, project_dir: Path) -> str:
    """Everything a plan depends on: the program's source, the project and stack files, the SDK versions."""
    digest = hashlib.sha256(sys.version.encode())
    for package in _PLAN_INPUT_PACKAGES:
        digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
    sources = [project_dir / "Pulumi.yaml", project_dir / f"Pulumi.{stack}.yaml"]
    for package_dir in ("infra", "components", "facts", "plan"):
        sources.extend(sorted((project_dir / package_dir).rglob("*.py")))
    for source in sources:
        digest.update(str(source.relative_to(project_dir)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]
