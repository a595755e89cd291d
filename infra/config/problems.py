"""Problems, collected: each reads `<stack file>: <key> = <value>: <rule>`, whether pydantic, a component's Args or
a cross-section rule found it, and all of a stack file's are reported together."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from components.validation import ArgsError, ArgsProblems
from infra.config.schema import OPTIONAL_SECTIONS, SECTIONS
from infra.config.scope import Section


def _display(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


class Problems:
    """The problems found in one stack file, each a line naming the file and the key."""

    def __init__(self, stack_file: str) -> None:
        self.stack_file = stack_file
        self.messages: list[str] = []

    def add(self, key: str, value: Any, rule: str) -> None:
        self.messages.append(f"{self.stack_file}: {key} = {_display(value)}: {rule}")

    def add_missing(self, key: str, rule: str) -> None:
        self.messages.append(f"{self.stack_file}: {key}: {rule}")


def args_problems(problems: Problems, key: str, build: Callable[[], object]) -> None:
    """Build Args from a section and report what they refuse, each under the section's key for that field."""
    try:
        build()
    except ArgsError as invalid:
        for problem in invalid.problems:
            problems.add(f"{key}.{to_camel(problem.field)}", problem.value, problem.message)


def shape_problems(problems: Problems, key: str, section: Section, check: Callable[[Any, ArgsProblems], None]) -> None:
    """Run a component's rules over a section that spells the Args' fields (before the Args can be built, which
    needs other components' outputs), and report what they refuse under the section's keys."""
    found = ArgsProblems(section)
    check(section, found)
    args_problems(problems, key, found.raise_any)


def pydantic_problems(problems: Problems, key: str, error: ValidationError, raw: Any) -> None:
    for detail in error.errors():
        path = ".".join(str(part) for part in detail["loc"])
        full_key = f"{key}.{path}" if path else key
        value = detail.get("input")
        if detail["type"] == "extra_forbidden":
            section = _section_at(raw, detail["loc"][:-1], key)
            allowed = ", ".join(sorted(_aliases(section))) if section else "none"
            problems.add(full_key, value, f"unknown key (allowed here: {allowed})")
        elif detail["type"] == "missing":
            problems.add_missing(full_key, "required")
        else:
            message = detail["msg"].removeprefix("Value error, ")
            problems.add(full_key, value, message)


def _section_at(raw: Any, loc: tuple[Any, ...], key: str) -> type[BaseModel] | None:
    model: type[BaseModel] | None = {**SECTIONS, **OPTIONAL_SECTIONS}.get(key.split(":", 1)[1])
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = next((f for f in model.model_fields.values() if f.alias == part), None)
        annotation = field.annotation if field else None
        nested = [t for t in getattr(annotation, "__args__", (annotation,)) if isinstance(t, type)]
        model = next((t for t in nested if issubclass(t, BaseModel)), None)
    return model


def _aliases(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def decode(value: str | Any) -> Any:
    """Config values arrive as strings from the engine; objects and lists as JSON."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value
