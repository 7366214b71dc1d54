"""Imports the kernel makes after start-up, shielded from the user's own files.

At start the kernel imports what it needs before the user's directory is on
``sys.path``.  What it loads later, on first use (the completer, pygments),
is imported with that directory taken off for the moment, so a project's
``token.py`` or ``inspect.py`` cannot stand in for a module we rely on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_user_path() -> Iterator[None]:
    """``sys.path`` without the working directory while the block imports."""
    saved = list(sys.path)
    user_dirs = {"", ".", os.getcwd()}
    sys.path[:] = [p for p in sys.path if p not in user_dirs]
    try:
        yield
    finally:
        sys.path[:] = saved


def load_shielded(*names: str) -> None:
    """Import the modules ``names`` (if not loaded yet) off the user's path."""
    import importlib

    with without_user_path():
        for name in names:
            importlib.import_module(name)
