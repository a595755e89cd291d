"""Write the package's generated files: `args.py` (the stack config's sections as the TypedDicts the schema analyzer
reads) and `schema.json` (what the analyzer infers from the package's components).

The sections are written once, as pydantic models in infra/config/ (a module per entity), with their defaults and
docstrings; the TypedDicts are derived from them so the two cannot drift, each model's field docstrings read from
the module that defines it. `python -m infra.package.generate` rewrites both files; tests/infra/package/test_schema.py
fails while either differs from what this module produces.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import subprocess
import sys
import types
import typing
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pulumi
import yaml
from pydantic import BaseModel

from components.apis import ProjectApisArgs
from components.cache import RedisCacheArgs
from components.database import PostgresDatabaseArgs
from components.entry import EntryPointArgs
from components.gke import GkeClusterArgs
from components.image import ContainerImageArgs
from components.network import NetworkArgs
from components.operations import OperationsArgs
from components.secrets import SecretsArgs
from infra import config

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
ARGS_FILE = PACKAGE_DIR / "args.py"
BLOCK_ARGS_FILE = PACKAGE_DIR / "block_args.py"
SCHEMA_FILE = PACKAGE_DIR / "schema.json"
# The building blocks whose Args a schema can express (components/*.py); the others hold Python objects (README).
BLOCK_ARGS: list[type[Any]] = [
    ProjectApisArgs,
    NetworkArgs,
    SecretsArgs,
    RedisCacheArgs,
    PostgresDatabaseArgs,
    ContainerImageArgs,
    GkeClusterArgs,
    EntryPointArgs,
    OperationsArgs,
]
# Args typed as any resource, which a schema cannot say: the resource the composition hands them.
RESOURCE_FIELDS = {"private_services_connection": "pulumi_gcp.servicenetworking.Connection"}

# The component's own keys beside the stack file's `inference:*` keys: where a stack file has gcp:project and
# gcp:region, the component takes them as args (or from the consumer's stack config).
PLACEMENT_FIELDS = {
    "project": "The Google Cloud project id. Default: the stack's gcp:project.",
    "region": "The region to deploy to, e.g. us-central1. Default: the stack's gcp:region.",
}
SCALAR_TYPES = {"environment": "str", "platform": "str", "labels": "dict[str, str]"}
SCALAR_DEFAULTS = {"environment": "dev", "platform": "cloudrun"}


def _docstrings_of_fields(cls: type[Any]) -> dict[str, str]:
    """Field name -> the docstring under the field, read from the module that defines `cls` (neither pydantic nor
    dataclasses keep them)."""
    return _field_docstrings(sys.modules[cls.__module__]).get(cls.__name__, {})


@functools.cache
def _field_docstrings(module: types.ModuleType) -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring under the field in `module`."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    docstrings: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields = docstrings.setdefault(node.name, {})
        for statement, following in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                fields[statement.target.id] = " ".join(following.value.value.split())
    return docstrings


def _project_descriptions() -> dict[str, str]:
    """The description Pulumi.yaml gives each `inference:*` key."""
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    return {key: declaration["description"] for key, declaration in document["config"].items()}


class _Writer:
    def __init__(self) -> None:
        self.models: dict[str, type[BaseModel]] = {}

    def annotation(self, annotation: Any) -> tuple[str, list[str]]:
        """The TypedDict annotation for a pydantic one, and the allowed values where it is a Literal."""
        origin = get_origin(annotation)
        if origin is Literal:
            return "str", [str(value) for value in get_args(annotation)]
        if origin in (types.UnionType, typing.Union):
            (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
            code, allowed = self.annotation(inner)
            return f"{code} | None", allowed
        if origin is list:
            (item,) = get_args(annotation)
            return f"list[{self.annotation(item)[0]}]", []
        if origin is dict:
            key, value = get_args(annotation)
            return f"dict[{key.__name__}, {self.annotation(value)[0]}]", []
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            self.models.setdefault(annotation.__name__, annotation)
            return annotation.__name__, []
        if annotation in (str, int, float, bool):
            return annotation.__name__, []
        # A type alias of a Literal (facts.gcp.RedisTier) arrives resolved; anything else is a new shape to map.
        raise TypeError(f"no schema type for {annotation!r}")

    def typed_dict(self, model: type[BaseModel]) -> str:
        lines = [f"class {model.__name__}(TypedDict, total=False):"]
        lines += _docstring(" ".join((model.__doc__ or "").split()), indent=4)
        for name, field in model.model_fields.items():
            code, allowed = self.annotation(field.annotation)
            if field.is_required():
                code = f"Required[{code}]"
            description = _docstrings_of_fields(model).get(name, "")
            if not field.is_required():
                description = _with_default(description, field.get_default(call_default_factory=True))
            if allowed:
                description = f"{description} One of: {', '.join(allowed)}.".strip()
            lines += ["", f"    {name}: {code}"]
            if description:
                lines += _docstring(description, indent=4)
        return "\n".join(lines)

    def service_args(self) -> str:
        descriptions = _project_descriptions()
        lines = [
            "class InferenceServiceArgs(TypedDict, total=False):",
            '    """The stack config\'s sections, keyed as in a stack file (`inference:service` is `service`)."""',
        ]
        fields: list[tuple[str, str, str]] = [(name, "str", text) for name, text in PLACEMENT_FIELDS.items()]
        for name in config.SCALARS:
            description = _with_default(descriptions[name], SCALAR_DEFAULTS.get(name))
            fields.append((name, SCALAR_TYPES[name], description))
        for name, model in {**config.SECTIONS, **config.OPTIONAL_SECTIONS}.items():
            self.models.setdefault(model.__name__, model)
            code = model.__name__ if name in config.SECTIONS else f"{model.__name__} | None"
            fields.append((name, code, descriptions[name]))
        for name, code, description in fields:
            lines += ["", f"    {name}: {code}"]
            lines += _docstring(description, indent=4)
        return "\n".join(lines)


class _BlockWriter:
    """The TypedDicts of the building blocks' Args, from the components' dataclasses."""

    def __init__(self) -> None:
        self.dataclasses: dict[str, type[Any]] = {}

    def annotation(self, annotation: Any, field_name: str) -> tuple[str, list[str]]:
        origin = get_origin(annotation)
        if field_name in RESOURCE_FIELDS and annotation is pulumi.Resource:
            return RESOURCE_FIELDS[field_name], []
        if origin is Literal:
            return "str", [str(value) for value in get_args(annotation)]
        if origin in (types.UnionType, typing.Union):
            members = [member for member in get_args(annotation) if member is not type(None)]
            if len(members) < len(get_args(annotation)):
                code, allowed = self.annotation(typing.Union[tuple(members)], field_name)  # noqa: UP007
                return f"{code} | None", allowed
            if any(get_origin(member) is Awaitable for member in members):
                (plain,) = [m for m in members if get_origin(m) not in (Awaitable, pulumi.Output)]
                return f"pulumi.Input[{self.annotation(plain, field_name)[0]}]", []
            raise TypeError(f"no schema type for the union {annotation!r} ({field_name})")
        if origin in (list, Sequence, tuple):
            item = get_args(annotation)[0]
            return f"list[{self.annotation(item, field_name)[0]}]", []
        if origin in (dict, Mapping):
            key, value = get_args(annotation)
            return f"dict[{key.__name__}, {self.annotation(value, field_name)[0]}]", []
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            self.dataclasses.setdefault(annotation.__name__, annotation)
            return annotation.__name__, []
        if annotation in (str, int, float, bool):
            return annotation.__name__, []
        raise TypeError(f"no schema type for {annotation!r} ({field_name})")

    def typed_dict(self, cls: type[Any]) -> str:
        module = sys.modules[cls.__module__]
        docstrings = _docstrings_of_fields(cls)
        # pulumi.Input spells Output[T] as a forward reference, which the component modules cannot resolve.
        hints = typing.get_type_hints(cls, localns={"Output": pulumi.Output, "T": typing.Any})
        lines = [f"class {cls.__name__}(TypedDict, total=False):"]
        written = cls.__doc__ or ""
        if written.startswith(f"{cls.__name__}("):  # the signature dataclasses put where a docstring is missing
            written = f"The args of {cls.__name__.removesuffix('Args')} ({module.__name__})."
        lines += _docstring(" ".join(written.split()), indent=4)
        for field in dataclasses.fields(cls):
            code, allowed = self.annotation(hints[field.name], field.name)
            required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
            description = docstrings.get(field.name, "")
            if required:
                code = f"Required[{code}]"
            elif field.default is not dataclasses.MISSING:
                description = _with_default(description, field.default)
            if allowed:
                description = f"{description} One of: {', '.join(allowed)}.".strip()
            lines += ["", f"    {field.name}: {code}"]
            if description:
                lines += _docstring(description, indent=4)
        return "\n".join(lines)


def _with_default(description: str, default: Any) -> str:
    if default is None or isinstance(default, BaseModel):
        return description
    if isinstance(default, list):
        default = [item.model_dump(by_alias=True) if isinstance(item, BaseModel) else item for item in default]
    shown = default if isinstance(default, str) else json.dumps(default)
    return f"{description} Default: {shown}.".strip()


def _docstring(text: str, *, indent: int) -> list[str]:
    """One line whatever its length: the analyzer takes a docstring verbatim as the schema's description, where
    line breaks and indentation would show (pyproject.toml lets args.py have long lines)."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return [f'{" " * indent}"""{text}"""']


def _in_dependency_order(writer: _Writer) -> Iterator[type[BaseModel]]:
    """Each model after the models its fields name, so every annotation refers to a class defined above it."""
    done: set[str] = set()

    def visit(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
        if model.__name__ in done:
            return
        done.add(model.__name__)
        for field in model.model_fields.values():
            writer.annotation(field.annotation)
            for nested in _models_in(field.annotation):
                yield from visit(nested)
        yield model

    for name in list(writer.models):
        yield from visit(writer.models[name])


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)


def args_source() -> str:
    """The source of args.py, as this module writes it."""
    writer = _Writer()
    service_args = writer.service_args()
    classes = [writer.typed_dict(model) for model in _in_dependency_order(writer)]
    header = (
        '"""The args of InferenceService: the stack config\'s sections as TypedDicts, for the schema analyzer.\n\n'
        "Generated from infra/config/ (fields, defaults, docstrings) by `python -m infra.package.generate`; do not\n"
        "edit. The analyzer reads these annotations at run time, so this module keeps them evaluated (no\n"
        '`from __future__ import annotations`).\n"""\n\n'
        "from typing import Required, TypedDict\n"
    )
    return header + "\n\n" + "\n\n\n".join([*classes, service_args]) + "\n"


def block_args_source() -> str:
    """The source of block_args.py, as this module writes it: each Args after the nested Args its fields name."""
    writer = _BlockWriter()
    classes: dict[str, str] = {}
    started: set[str] = set()

    def visit(cls: type[Any]) -> None:
        if cls.__name__ in started:
            return
        started.add(cls.__name__)
        source = writer.typed_dict(cls)
        for nested in list(writer.dataclasses.values()):
            visit(nested)
        classes[cls.__name__] = source

    for args_type in BLOCK_ARGS:
        visit(args_type)
    header = (
        '"""The args of the building blocks: the components\' Args dataclasses as TypedDicts, for the analyzer.\n\n'
        "Generated from components/ (fields, defaults, docstrings) by `python -m infra.package.generate`; do not\n"
        'edit.\n"""\n\n'
        "from typing import Required, TypedDict\n\n"
        "import pulumi\n"
        "import pulumi_gcp\n"
    )
    return header + "\n\n" + "\n\n\n".join(classes.values()) + "\n"


def schema() -> dict[str, Any]:
    """The schema the analyzer infers from the package's components (what the provider's GetSchema returns)."""
    # Imported here: the provider imports the generated modules, which this module must be able to rewrite when
    # they are out of date or broken.
    from infra.package.provider import package_provider

    return json.loads(package_provider().schema or "{}")


def schema_text() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    ARGS_FILE.write_text(args_source())
    BLOCK_ARGS_FILE.write_text(block_args_source())
    # The schema is read from the args just written: a fresh interpreter imports them.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from infra.package.generate import SCHEMA_FILE, schema_text; SCHEMA_FILE.write_text(schema_text())",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )


if __name__ == "__main__":
    main()
