"""Usage assumptions: what the plan cannot know (traffic, storage, data volumes), per stack, from a YAML file.

The file has `defaults` for every stack and `stacks.<name>` overrides, in the spirit of infracost-usage.yml.
Every field and its default is documented below; costs/usage.yaml is the shipped example.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_USAGE_PATH = Path(__file__).with_name("usage.yaml")


class UsageError(ValueError):
    """The usage file is unreadable or holds an unknown key or a bad value; the message names both."""


class Throughput(BaseModel):
    """Sustained requests a second one instance (Cloud Run) or pod (GKE) of a hardware shape serves."""

    model_config = ConfigDict(extra="forbid")

    requests_per_second: float = Field(gt=0)
    kind: Literal["measured", "cited", "assumed"]
    """measured here (with `machine`), cited from a public benchmark (with `source`), or an assumption."""
    date: str
    machine: str | None = None
    source: str | None = None
    note: str | None = None


class Usage(BaseModel):
    """Monthly usage of one stack. Zero prices nothing; None means "derived", as each field says."""

    model_config = ConfigDict(extra="forbid")

    monthly_requests: float = Field(default=0, ge=0)
    """Requests a month to the inference service (default 0)."""
    request_seconds: float = Field(default=0.05, gt=0)
    """Wall-clock seconds one request keeps an instance busy (default 0.05)."""
    concurrency: int | None = Field(default=None, ge=1)
    """Requests a Cloud Run instance serves at once (default: its maxInstanceRequestConcurrency, else 80)."""
    pod_requests_per_second: float = Field(default=100, gt=0)
    """Sustained requests a second one GKE serving pod handles (default 100)."""
    pods_per_node: int = Field(default=1, ge=1)
    """Serving pods that fit on one node, e.g. one per GPU (default 1)."""
    instance_hours: float | None = Field(default=None, ge=0)
    """Billed Cloud Run instance-hours a month; overrides the capacity model (default: derived)."""
    node_hours: float | None = Field(default=None, ge=0)
    """Node-hours a month of autoscaled GKE pools; overrides the capacity model (default: derived)."""
    egress_gb: float = Field(default=0, ge=0)
    """Internet egress a month in GB from the serving resource (default 0)."""
    load_balancer_processed_gb: float = Field(default=0, ge=0)
    """GiB a month through each forwarding rule (default 0)."""
    nat_processed_gb: float = Field(default=0, ge=0)
    """GiB a month through each Cloud NAT gateway (default 0)."""
    nat_vm_count: float | None = Field(default=None, ge=0)
    """VMs that use each Cloud NAT gateway (default: the GKE nodes in the plan)."""
    nat_ip_count: int = Field(default=1, ge=0)
    """External IPs each auto-allocating Cloud NAT gateway holds (default 1)."""
    secret_accesses_per_version: float = Field(default=1000, ge=0)
    """Secret Manager accesses a month per secret version (default 1000: instance starts read each secret)."""
    artifact_registry_storage_gb: float = Field(default=10, ge=0)
    """GB stored in each Artifact Registry repository (default 10: a few CUDA image versions)."""
    sql_backup_storage_gb: float | None = Field(default=None, ge=0)
    """GB of Cloud SQL backups when backups are on (default: the instance's disk size)."""
    database_log_gb: float = Field(default=10, ge=0)
    """GiB a month of Cloud Logging from a database with pgaudit or connection/statement logging on (default 10)."""
    gke_system_log_gb: float = Field(default=20, ge=0)
    """GiB a month of Cloud Logging from each GKE cluster's system components (default 20)."""
    peak_factor: float = Field(default=3, ge=1)
    """Peak traffic as a multiple of the month's average rate, for the capacity check (default 3)."""
    throughput: dict[str, Throughput] = {}
    """Per hardware shape (`cpu-2`, `nvidia-l4`, ...): requests a second one instance or pod serves (the file's
    top-level `throughput`; a shape with a figure replaces request_seconds / pod_requests_per_second)."""

    def with_values(self, **values: Any) -> Usage:
        """A copy with some fields replaced, validated like the file."""
        return Usage.model_validate({**self.model_dump(exclude_unset=True), **values})


class UsageFile(BaseModel):
    """A usage file: defaults for every stack and per-stack overrides."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    throughput: dict[str, Throughput] = {}
    defaults: dict[str, Any] = {}
    stacks: dict[str, dict[str, Any]] = {}

    def for_stack(self, stack: str, source: str = "usage") -> Usage:
        """The usage of one stack: its overrides on top of the defaults, with the file's throughput figures."""
        values = {"throughput": self.throughput, **self.defaults, **self.stacks.get(stack, {})}
        try:
            return Usage.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{_where(stack, self, problem['loc'])}: {problem['msg']}" for problem in error.errors()
            )
            raise UsageError(f"{source}: {problems}") from error


def _where(stack: str, usage_file: UsageFile, location: tuple[Any, ...]) -> str:
    key = ".".join(str(part) for part in location)
    section = f"stacks.{stack}" if key in usage_file.stacks.get(stack, {}) else "defaults"
    return f"{section}.{key}"


def load_usage(path: Path = DEFAULT_USAGE_PATH) -> UsageFile:
    """Read a usage file; UsageError names the file and what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise UsageError(f"{path}: cannot read the usage file: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML: {error}") from error
    try:
        usage_file = UsageFile.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'file'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise UsageError(f"{path}: {problems}") from error
    for stack in ["", *usage_file.stacks]:
        usage_file.for_stack(stack, source=str(path))
    return usage_file


def record_measured_throughput(
    shape: str, per_second: float, machine: str, date: str, path: Path = DEFAULT_USAGE_PATH
) -> None:
    """Write a measured throughput figure for `shape` into the usage file's `throughput` block.

    The shape's line is replaced in place (or appended to the block), so the file's comments and order stay; the
    result is validated before it is written. UsageError names the file when it cannot be read or is invalid.
    """
    if per_second <= 0:
        raise UsageError(f"{path}: throughput.{shape}: requests a second must be above 0, not {per_second:g}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: cannot read the usage file: {error.strerror}") from error
    entry = (
        f"  {shape}: {{requests_per_second: {per_second:g}, kind: measured, machine: {_yaml_string(machine)}, "
        f"date: {_yaml_string(date)}}}"
    )
    lines = text.splitlines()
    block = next((index for index, line in enumerate(lines) if re.match(r"^throughput:\s*(#.*)?$", line)), None)
    if block is None:
        lines += ["throughput:", entry]
    else:
        end = block + 1
        while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
            end += 1
        shape_line = re.compile(rf"^  {re.escape(shape)}:")
        existing = next((index for index in range(block + 1, end) if shape_line.match(lines[index])), None)
        if existing is None:
            while end > block + 1 and not lines[end - 1].strip():
                end -= 1
            lines.insert(end, entry)
        else:
            continued = existing + 1
            while continued < end and lines[continued].startswith("    "):
                continued += 1
            lines[existing:continued] = [entry]
    updated = "\n".join(lines) + "\n"
    try:
        UsageFile.model_validate(yaml.safe_load(updated) or {})
    except (yaml.YAMLError, ValidationError) as error:
        raise UsageError(f"{path}: recording throughput.{shape} would leave the file invalid: {error}") from error
    path.write_text(updated, encoding="utf-8")


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
