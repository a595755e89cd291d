"""Every component names itself one way: the type token `inference:<module>:<Type>`, module and class as in the tree."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pulumi
import pytest

COMPONENTS = Path(__file__).parents[2] / "components"
MODULES = sorted(path.stem for path in COMPONENTS.glob("*.py") if not path.stem.startswith("_"))


def component_classes() -> list[tuple[str, type]]:
    found = []
    for module_name in MODULES:
        module = importlib.import_module(f"components.{module_name}")
        found += [
            (module_name, cls)
            for cls in vars(module).values()
            if inspect.isclass(cls) and issubclass(cls, pulumi.ComponentResource) and cls.__module__ == module.__name__
        ]
    return found


@pytest.mark.parametrize(
    ("module_name", "cls"), component_classes(), ids=lambda value: getattr(value, "__name__", value)
)
def test_the_type_token_is_inference_module_and_class(module_name: str, cls: type) -> None:
    source = inspect.getsource(cls.__init__)
    assert f'super().__init__("inference:{module_name}:{cls.__name__}", name' in source


def test_every_component_module_is_covered() -> None:
    assert len(component_classes()) >= 10
