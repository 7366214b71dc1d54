"""A real kernel process for tests that talk to it through ``KernelClient`` (no pty)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from freshrepl.shell.kernel_client import KernelClient
from freshrepl.shell.options import Options


@contextmanager
def running_kernel(**options: Any) -> Iterator[KernelClient]:
    """A kernel started now (its fds 1 and 2 are the test's), killed afterwards."""
    client = KernelClient(Options(argv=[""], **options))
    client.start()
    try:
        client.wait_ready(timeout=30)
        yield client
    finally:
        client.kill()
