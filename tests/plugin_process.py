"""A Pulumi plugin as Pulumi's host runs it, for tests: its own process, which prints the port of its gRPC server
as its first line of output."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import grpc


@contextmanager
def plugin_channel(
    command: Sequence[str], cwd: Path, environment: Mapping[str, str], what: str
) -> Iterator[grpc.Channel]:
    """Starts `command` in `cwd`, reads the port it prints and yields a channel to it; the process is killed after.
    `what` names the plugin in the error raised when its first line is not a port."""
    plugin = subprocess.Popen(
        list(command), cwd=cwd, env=dict(environment), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert plugin.stdout is not None
        first_line = plugin.stdout.readline().strip()
        if not first_line.isdigit():
            plugin.kill()
            _, errors = plugin.communicate(timeout=30)
            raise AssertionError(f"{what} did not print its port: {first_line!r} {errors}")
        with grpc.insecure_channel(f"127.0.0.1:{first_line}") as channel:
            yield channel
    finally:
        plugin.kill()
        plugin.wait(timeout=30)
