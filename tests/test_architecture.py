"""The import rules of docs/architecture.md, read from the source: one-way arrows between packages, none in a circle.

Every import counts, including those inside functions and under TYPE_CHECKING: a cycle hidden from the
interpreter is still a cycle for a reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Top-level package -> the folder that holds it (the app's package lives under app/).
PACKAGES: dict[str, Path] = {
    "facts": PROJECT_ROOT / "facts",
    "plan": PROJECT_ROOT / "plan",
    "components": PROJECT_ROOT / "components",
    "manifests": PROJECT_ROOT / "manifests",
    "costs": PROJECT_ROOT / "costs",
    "policy": PROJECT_ROOT / "policy",
    "lifecycle": PROJECT_ROOT / "lifecycle",
    "changes": PROJECT_ROOT / "changes",
    "infra": PROJECT_ROOT / "infra",
    "embedding_service": PROJECT_ROOT / "app" / "embedding_service",
}
# What each package may import of ours besides itself.
ALLOWED_IMPORTS: dict[str, set[str]] = {
    "facts": set(),
    "plan": {"facts"},
    "components": {"facts"},
    "manifests": {"facts", "plan"},
    "costs": {"facts", "plan"},
    "policy": {"facts", "plan"},
    "lifecycle": {"facts", "plan"},
    "changes": {"facts", "plan", "lifecycle"},
    "infra": {"facts", "plan", "components", "manifests", "costs", "policy", "lifecycle", "changes"},
    "embedding_service": set(),
}


def _module_name(package: str, path: Path) -> str:
    parts = list(path.relative_to(PACKAGES[package]).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


# The virtualenv Pulumi creates inside the component package (infra/package/PulumiPlugin.yaml) is not our code.
NOT_OURS = PROJECT_ROOT / "infra" / "package" / "venv"


def _modules() -> dict[str, Path]:
    return {
        _module_name(package, path): path
        for package, folder in PACKAGES.items()
        for path in folder.rglob("*.py")
        if not path.is_relative_to(NOT_OURS)
    }


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imported_modules(module: str, path: Path) -> Iterator[str]:
    """Our modules that `module` imports (a `from package import name` counts name when it is a module)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, path, node)
            targets = [f"{source}.{alias.name}" for alias in node.names] + [source]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target


IMPORTS: dict[str, set[str]] = {module: set(_imported_modules(module, path)) for module, path in MODULES.items()}


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        trail.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "open":
                return [*trail[trail.index(successor) :], successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        state[node] = "done"
        trail.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_scan_sees_every_package() -> None:
    assert {_top(module) for module in MODULES} == set(PACKAGES)
    assert "infra.cli" in MODULES and "costs.cli" in IMPORTS["infra.cli"]


def test_no_cycle_between_top_level_packages() -> None:
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for module, imported in IMPORTS.items():
        graph[_top(module)].update(_top(target) for target in imported if _top(target) != _top(module))
    assert _find_cycle(graph) is None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_cycle_inside_a_package(package: str) -> None:
    graph = {
        module: {target for target in imported if _top(target) == package}
        for module, imported in IMPORTS.items()
        if _top(module) == package
    }
    # A package's __init__ re-exporting its modules is not a cycle: the modules never need the __init__ to load.
    for imported in graph.values():
        imported.discard(package)
    assert _find_cycle(graph) is None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_packages_import_only_what_the_architecture_allows(package: str) -> None:
    forbidden = {
        f"{module} imports {target}"
        for module, imported in IMPORTS.items()
        if _top(module) == package
        for target in imported
        if _top(target) not in ALLOWED_IMPORTS[package] | {package}
    }
    assert not forbidden, sorted(forbidden)


def test_a_forbidden_import_and_a_cycle_are_found() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def _private_names_used(tree: ast.AST) -> Iterator[str]:
    """`from ours import _name`, and `module._name` on a module of ours the file imported."""
    our_modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _top(node.module or "") in (*PACKAGES, "tests"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in MODULES:
                    our_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            our_modules.update(alias.asname for alias in node.names if alias.asname and alias.name in MODULES)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in our_modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            yield f"{node.value.id}.{node.attr}"


def test_no_test_uses_a_private_name_of_ours() -> None:
    private = [
        f"{path.relative_to(PROJECT_ROOT)}: {name}"
        for path in (PROJECT_ROOT / "tests").rglob("*.py")
        for name in _private_names_used(ast.parse(path.read_text(), filename=str(path)))
    ]
    assert private == []


def test_a_private_import_and_a_private_attribute_are_found() -> None:
    tree = ast.parse("from infra.offline import _computed_outputs\nfrom infra import offline\noffline._cache_key()\n")
    assert list(_private_names_used(tree)) == ["infra.offline._computed_outputs", "offline._cache_key"]


def test_only_the_component_package_imports_the_component_package() -> None:
    importers = {
        module
        for module, imported in IMPORTS.items()
        if not module.startswith("infra.package")
        and any(target == "infra.package" or target.startswith("infra.package.") for target in imported)
    }
    assert "infra.package.__main__" in MODULES and importers == set()


# infra/config/'s modules by layer (docs/architecture.md, "The config package"): each imports only earlier layers.
CONFIG_LAYERS: list[set[str]] = [
    {"scope"},
    {"service", "data", "network", "entry", "gke", "operations"},
    {"schema"},
    {"problems", "defaults"},
    {"checks"},
    {"loading"},
]


def _config_layer(module: str) -> int:
    name = module.removeprefix("infra.config.")
    return next(index for index, layer in enumerate(CONFIG_LAYERS) if name in layer)


def test_every_config_module_has_a_layer() -> None:
    config_modules = {module for module in MODULES if module.startswith("infra.config.")}
    assert config_modules == {f"infra.config.{name}" for layer in CONFIG_LAYERS for name in layer}


def test_config_modules_import_only_earlier_layers() -> None:
    # The sections may read each other (the workload's Args read the service and network sections); the cycle
    # test above keeps those arrows one-way.
    upward = sorted(
        f"{module} imports {target}"
        for module, imported in IMPORTS.items()
        if module.startswith("infra.config.")
        for target in imported
        if target.startswith("infra.config.") and _config_layer(target) > _config_layer(module)
    )
    assert upward == []
    # The scan sees the arrows it judges: a section's on its scope, the loading's on the rules.
    assert "infra.config.scope" in IMPORTS["infra.config.service"]
    assert "infra.config.checks" in IMPORTS["infra.config.loading"]
