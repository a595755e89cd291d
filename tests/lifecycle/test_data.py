"""The lifecycle data file stays true: every type the plans hold is in it, every input path it names exists in
the installed SDK's input types, the SDK versions it was read from are the installed ones."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from pathlib import Path
from typing import Any

import pytest

from lifecycle.data import DATA_FILE, LifecycleDataError, TypeLifecycle, load_lifecycle
from tests.lifecycle.plans import SHIPPED_STACKS, shipped_plan
from tests.lifecycle.test_entry_data import ENTRY_POINT_TYPES, GKE_ENTRY_POINT_TYPES

DATA = load_lifecycle()
NESTED_ARGS = re.compile(r"ForwardRef\('([\w.]+Args)'\)")
# Types only a non-default configuration creates (a public Cloud Run service's invoker grant).
# Created only by a public Cloud Run service (its invoker binding and the uptime check on /healthz).
TYPES_OUTSIDE_THE_SHIPPED_PLANS = {
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
    *ENTRY_POINT_TYPES,
    *GKE_ENTRY_POINT_TYPES,
}


def args_class(lifecycle: TypeLifecycle) -> type:
    module_name, class_name = lifecycle.sdk_args.split(":")
    found: type = getattr(importlib.import_module(module_name), class_name)
    return found


def wire_properties(cls: type) -> dict[str, Any]:
    """The input properties of an Args class by their engine (camelCase) name."""
    properties = {}
    for attribute in dir(cls):
        value = getattr(cls, attribute, None)
        if isinstance(value, property) and value.fget is not None:
            properties[getattr(value.fget, "_pulumi_name", attribute)] = value.fget
    return properties


def nested_class(cls: type, getter: Any) -> type | None:
    names = NESTED_ARGS.findall(repr(getter.__annotations__.get("return")))
    if not names:
        return None
    namespace: Any = importlib.import_module(cls.__module__)
    for part in names[0].split("."):
        namespace = getattr(namespace, part)
    return namespace if isinstance(namespace, type) else None


def path_exists(cls: type, path: str) -> bool:
    current: type | None = cls
    for part in path.split("."):
        if current is None:
            return False
        getter = wire_properties(current).get(part)
        if getter is None:
            return False
        current = nested_class(current, getter)
    return True


def listed_paths(resource_type: str, lifecycle: TypeLifecycle) -> list[tuple[str, str]]:
    """(type whose inputs the path reads, path) for every path the entry names."""
    own = [*lifecycle.replace_on]
    own += [blocker.input for blocker in lifecycle.deletion_blockers]
    own += [protection.input for protection in lifecycle.protected_when]
    own += [path for disruption in lifecycle.disruptions for path in disruption.inputs]
    paths = [(resource_type, path) for path in own]
    for precondition in lifecycle.preconditions:
        if precondition.when is not None:
            paths.append((resource_type, precondition.when.input))
        if precondition.where is not None:
            paths.append((precondition.needs, precondition.where.input))
        for match in (precondition.match, precondition.for_each):
            if match is not None:
                paths += [(resource_type, match.from_), (precondition.needs, match.to)]
    return paths


def test_the_data_file_loads_and_names_a_kind_and_durations_for_every_type() -> None:
    assert DATA.types
    for resource_type, lifecycle in DATA.types.items():
        assert lifecycle.kind and lifecycle.durations.source, resource_type


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_resource_type_in_a_shipped_plan_has_lifecycle_data(stack: str) -> None:
    types = {resource.type for resource in shipped_plan(stack).resources if resource.custom}

    assert types - set(DATA.types) == set()


def test_every_type_in_the_data_is_created_by_some_shipped_stack_or_named_as_optional() -> None:
    created = {r.type for stack in SHIPPED_STACKS for r in shipped_plan(stack).resources if r.custom}

    assert set(DATA.types) - created == TYPES_OUTSIDE_THE_SHIPPED_PLANS


@pytest.mark.parametrize("resource_type", sorted(DATA.types))
def test_every_input_path_the_data_names_exists_in_the_installed_sdk(resource_type: str) -> None:
    missing = []
    for owner, path in listed_paths(resource_type, DATA.types[resource_type]):
        owner_data = DATA.of(owner)
        assert owner_data is not None, f"{resource_type} needs {owner}, which has no entry"
        if not path_exists(args_class(owner_data), path):
            missing.append(f"{owner}: {path}")

    assert missing == []


def test_a_misspelt_path_is_not_found_in_the_sdk() -> None:
    redis = args_class(DATA.types["gcp:redis/instance:Instance"])

    assert path_exists(redis, "maintenancePolicy.weeklyMaintenanceWindows.startTime.hours")
    assert not path_exists(redis, "memorySize")
    assert not path_exists(redis, "maintenancePolicy.weeklyWindow")


@pytest.mark.parametrize("package", sorted(DATA.sdk_versions))
def test_the_data_was_read_from_the_installed_sdk_versions(package: str) -> None:
    assert importlib.metadata.version(package) == DATA.sdk_versions[package]


@pytest.mark.parametrize(
    ("resource_type", "flag", "default"),
    [
        ("gcp:sql/databaseInstance:DatabaseInstance", "deletionProtection", True),
        ("gcp:cloudrunv2/service:Service", "deletionProtection", True),
        ("gcp:redis/instance:Instance", "deletionProtection", None),
        ("gcp:secretmanager/secret:Secret", "deletionProtection", False),
    ],
)
def test_deletion_flag_defaults_are_those_of_the_sdk_docstrings(resource_type: str, flag: str, default: Any) -> None:
    lifecycle = DATA.types[resource_type]
    [blocker] = [blocker for blocker in lifecycle.deletion_blockers if blocker.input == flag]
    docstring = wire_properties(args_class(lifecycle))[flag].__doc__ or ""

    assert blocker.default == default
    if default is None:
        assert "set to true or unset" in docstring
        assert None in blocker.blocks_when
    else:
        assert re.search(rf"Defaults to `?{str(default).lower()}`?", docstring), docstring


def test_the_sdk_docstring_names_remove_peering_as_the_connection_policy_that_lets_the_network_go() -> None:
    lifecycle = DATA.types["gcp:servicenetworking/connection:Connection"]
    docstring = wire_properties(args_class(lifecycle))["deletionPolicy"].__doc__ or ""
    [blocker] = lifecycle.deletion_blockers

    assert "REMOVE_PEERING" in docstring and "block deletion" in docstring
    assert blocker.lower_to == "REMOVE_PEERING" and "ABANDON" in blocker.blocks_when


def test_a_malformed_data_file_is_refused_naming_the_file_and_the_key(tmp_path: Path) -> None:
    broken = tmp_path / "lifecycle.yaml"
    text = DATA_FILE.read_text().replace(
        "    kind: Memorystore instance\n", "    kind: Memorystore instance\n    colour: red\n"
    )
    broken.write_text(text)

    with pytest.raises(LifecycleDataError, match=r"lifecycle\.yaml: types\.gcp:redis/instance:Instance\.colour"):
        load_lifecycle(broken)


def test_data_left_unprotected_in_prod_must_say_why(tmp_path: Path) -> None:
    broken = tmp_path / "lifecycle.yaml"
    text = DATA_FILE.read_text()
    broken.write_text(re.sub(r"\n      why_unprotected: [^\n]+", "", text, count=1))

    with pytest.raises(LifecycleDataError, match="why_unprotected"):
        load_lifecycle(broken)
