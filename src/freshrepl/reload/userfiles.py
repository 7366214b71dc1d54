"""Which files are the user's own code (watched and reloaded) and which are not."""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from functools import lru_cache

import freshrepl


def _norm(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


@lru_cache(maxsize=1)
def _foreign_roots() -> tuple[str, ...]:
    """Directories whose files are never the user's: stdlib, site-packages, freshrepl."""
    roots: set[str] = set()
    for scheme_key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(scheme_key)
        if path:
            roots.add(path)
    try:
        roots.update(site.getsitepackages())
    except AttributeError:  # some virtualenv builds lack it
        pass
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE is not False else None
    if user_site:
        roots.add(user_site)
    # Any sys.path entry named like a site dir (venvs made by other tools, .pth extras).
    roots.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    roots.add(os.path.dirname(freshrepl.__file__))
    return tuple(sorted({_norm(r) for r in roots}))


def is_user_file(path: str | None) -> bool:
    """True when ``path`` is a real file outside the standard library and site-packages."""
    if not path or not os.path.isabs(path) and not os.path.exists(path):
        return False
    real = _norm(os.path.abspath(path))
    for root in _foreign_roots():
        if real == root or real.startswith(root + os.sep):
            return False
    return True
