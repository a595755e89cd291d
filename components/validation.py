"""How an Args refuses what it is given: every problem at once, each naming the field it is about.

An Args checks its own fields in `__post_init__` (the rule lives beside the fields), collecting problems with
`ArgsProblems` and raising `ArgsError`. The config surfaces each problem under its stack-file key, so a rule is
written once whether the Args come from a stack file or from code. Messages name other inputs in camelCase, as
the stack files and the component schema spell them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class ArgsProblem:
    """One field an Args refuses."""

    field: str
    """The field, as the Args spell it (`min_nodes`)."""
    value: object
    """What the field was given."""
    message: str
    """What is wrong and what is allowed."""


class ArgsError(ValueError):
    """An Args refused its fields; `problems` lists each, in the order the Args checks them."""

    def __init__(self, args_type: str, problems: tuple[ArgsProblem, ...]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{args_type}.{problem.field} = {problem.value!r}: {problem.message}" for problem in problems)
        )


class ArgsProblems:
    """Collects the problems of one Args; `raise_any` raises them together."""

    def __init__(self, args: object) -> None:
        self._args_type = type(args).__name__
        self._found: list[ArgsProblem] = []

    def add(self, field: str, value: object, message: str) -> None:
        self._found.append(ArgsProblem(field, value, message))

    def one_of(self, field: str, value: object, allowed: Collection[str]) -> None:
        """Refuse a value outside `allowed`, listing what is allowed in its order."""
        if value not in allowed:
            self.add(field, value, f"allowed: {', '.join(allowed)}")

    def raise_any(self) -> None:
        if self._found:
            raise ArgsError(self._args_type, tuple(self._found))
