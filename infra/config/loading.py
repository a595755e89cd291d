"""Loading a stack's config: every key read and validated, the environment's defaults filled in, every rule
checked, and all problems raised together as one ConfigError."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from facts import gcp as rules
from facts.labels import REQUIRED_LABELS
from infra.config.checks import check_image, check_stack, one_gpu_type
from infra.config.defaults import with_database_defaults, with_redis_defaults
from infra.config.entry import EntrySettings
from infra.config.problems import Problems, decode, pydantic_problems
from infra.config.schema import KNOWN_KEYS, SECTIONS, StackConfig
from infra.config.scope import NAMESPACE
from infra.stack_file import ConfigError


def _without(value: Any, locations: list[tuple[Any, ...]]) -> Any:
    """A copy of a nested mapping with the keys at `locations` removed."""
    copy = json.loads(json.dumps(value))
    for location in locations:
        container = copy
        for part in location[:-1]:
            container = container[part]
        container.pop(location[-1], None)
    return copy


def load_stack_config(
    raw: Mapping[str, Any], *, stack_file: str, stack: str, project_dir: Path | None = None
) -> StackConfig:
    """Validate the engine's config for one stack. Raises ConfigError listing every problem found.

    Paths in the config (the image's build context and Dockerfile) are relative to `project_dir`, by default the
    working directory, where Pulumi runs the program.
    """
    problems = Problems(stack_file)
    prefix = f"{NAMESPACE}:"
    for key in raw:
        if key.startswith(prefix) and key[len(prefix) :] not in KNOWN_KEYS:
            problems.add(key, decode(raw[key]), f"unknown key (known: {', '.join(prefix + k for k in KNOWN_KEYS)})")

    if not rules.STACK_NAME.match(stack):
        problems.add_missing(
            "stack name",
            f"{stack!r} must be 1-100 letters, digits, '-', '_' or '.', from and to a letter or digit "
            "(resource names are derived from it, shortened with a hash where a limit needs it)",
        )

    project = raw.get("gcp:project")
    if project is None:
        problems.add_missing("gcp:project", "required: the Google Cloud project id (pulumi config set gcp:project ...)")
    elif not rules.PROJECT_ID.match(str(project)):
        problems.add("gcp:project", project, "a project id is 6-30 lowercase letters, digits or hyphens, from a letter")
    region = raw.get("gcp:region")
    if region is None:
        problems.add_missing("gcp:region", "required: the region to deploy to, e.g. us-central1")
    elif not rules.REGION.match(str(region)):
        problems.add("gcp:region", region, "not a region name like us-central1 (a zone is not a region)")

    environment = raw.get(f"{prefix}environment", "dev")
    if environment not in ("dev", "prod"):
        problems.add(f"{prefix}environment", environment, "allowed: dev, prod")
    platform = raw.get(f"{prefix}platform", "cloudrun")
    if platform not in ("cloudrun", "gke"):
        problems.add(f"{prefix}platform", platform, "allowed: cloudrun, gke")

    labels = decode(raw.get(f"{prefix}labels", "{}"))
    if not isinstance(labels, dict):
        problems.add(f"{prefix}labels", labels, "must be a mapping of label keys to values")
        labels = {}
    for label_key, label_value in labels.items():
        where = f"{prefix}labels.{label_key}"
        if not rules.LABEL_KEY.match(str(label_key)):
            problems.add(where, label_value, "label keys are 1-63 lowercase letters, digits, _ or -, from a letter")
        if not isinstance(label_value, str) or not rules.LABEL_VALUE.match(label_value):
            problems.add(where, label_value, "label values are strings of 0-63 lowercase letters, digits, _ or -")
    labels = {str(label_key): str(label_value) for label_key, label_value in labels.items()}
    if len(labels) + len(REQUIRED_LABELS) > rules.MAX_LABELS:
        allowed = rules.MAX_LABELS - len(REQUIRED_LABELS)
        problems.add(f"{prefix}labels", f"{len(labels)} labels", f"at most {allowed} labels")

    sections: dict[str, Any] = {}
    for name, model in SECTIONS.items():
        key = f"{prefix}{name}"
        value = decode(raw.get(key, "{}"))
        if name == "service" and isinstance(value, dict) and value.get("gpu") is False:
            value = {**value, "gpu": None}
        if not isinstance(value, dict):
            problems.add(key, value, "must be a mapping")
            continue
        try:
            sections[name] = model.model_validate(value)
        except ValidationError as error:
            pydantic_problems(problems, key, error, value)
            if all(detail["type"] == "extra_forbidden" for detail in error.errors()):
                # Unknown keys change no value, so the rules below can still judge the rest of the section.
                known_only = _without(value, [detail["loc"] for detail in error.errors()])
                sections[name] = model.model_validate(known_only)

    entry = _load_entry(raw, problems)

    if len(sections) != len(SECTIONS) or environment not in ("dev", "prod") or platform not in ("cloudrun", "gke"):
        raise ConfigError(problems.messages)
    if platform == "gke":
        sections["service"], sections["gke"] = one_gpu_type(sections["service"], sections["gke"], problems)

    prod = environment == "prod"
    config = StackConfig(
        stack=stack,
        stack_file=stack_file,
        project=str(project),
        region=str(region),
        environment=environment,
        platform=platform,
        labels=labels,
        service=sections["service"],
        redis=with_redis_defaults(sections["redis"], prod=prod),
        database=with_database_defaults(sections["database"], prod=prod),
        image=sections["image"],
        network=sections["network"],
        gke=sections["gke"] if platform == "gke" else None,
        entry=entry,
        operations=sections["operations"],
    )
    check_stack(config, raw, problems)
    check_image(config.image, project_dir or Path.cwd(), problems)
    if problems.messages:
        raise ConfigError(problems.messages)
    return config


def _load_entry(raw: Mapping[str, Any], problems: Problems) -> EntrySettings | None:
    key = f"{NAMESPACE}:entry"
    value = decode(raw.get(key))
    if value is None or value == {}:
        return None  # the project default ({}) or null: no entry point
    if not isinstance(value, dict):
        problems.add(key, value, "must be a mapping with at least domain, or null for no entry point")
        return None
    try:
        return EntrySettings.model_validate(value)
    except ValidationError as error:
        pydantic_problems(problems, key, error, value)
        return None


def load_from_pulumi() -> StackConfig:
    """Read and validate this stack's config from the Pulumi runtime (the real engine or the recording mocks)."""
    import pulumi

    raw: dict[str, Any] = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    stack = pulumi.get_stack()
    return load_stack_config(raw, stack_file=f"Pulumi.{stack}.yaml", stack=stack, project_dir=Path.cwd())
