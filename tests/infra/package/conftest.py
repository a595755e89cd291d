"""One running plugin for the package's tests: Pulumi starts a provider once and sends it every Construct, each
naming the resource monitor of the deployment it belongs to."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from infra.package import generate
from tests.infra.package.served_engine import running_plugin, served_engine


@pytest.fixture(scope="session")
def provider() -> Iterator[Any]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with (
        served_engine(project="inference", stack="host", gcp_project="unused-by-the-host") as host,
        running_plugin(generate.PACKAGE_DIR, host.address, environment) as stub,
    ):
        yield stub
