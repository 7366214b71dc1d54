"""Hand-written cases: modules whose globals resist being looked at.

A reload must not depend on what a module's objects do when touched:
werkzeug's proxies (``request``, ``g``, ``session``, ``current_app``) raise
outside a request, Django's ``settings`` configures itself on first use, a
``lazy_object_proxy`` runs its factory, ``wrapt`` proxies forward every
attribute, a module ``__getattr__`` answers any name, and some objects raise
from ``==``, ``hash()``, ``bool()``, ``repr()`` or any attribute.  Each edit
is an ordinary one (a body, a constant) that must apply; ``m.CALLS`` says
whether the reload ran the lazy factory, which a fresh process never does.
"""

from __future__ import annotations

from .case import Case, Group

TOUCHY = """
import lazy_object_proxy
import wrapt
from django.conf import settings
from flask import current_app, g, request, session

CALLS = 0
LIMIT = 3


def load_config():
    global CALLS
    CALLS += 1
    return {"debug": True}


CONFIG = lazy_object_proxy.Proxy(load_config)


class Touchy:
    def __eq__(self, other):
        raise RuntimeError("no ==")

    def __hash__(self):
        raise RuntimeError("no hash")

    def __bool__(self):
        raise RuntimeError("no bool")

    def __repr__(self):
        raise RuntimeError("no repr")

    def __getattr__(self, name):
        raise RuntimeError(f"no attribute {name}")

    def size(self):
        return LIMIT


TOUCHY = Touchy()
WRAPPED = wrapt.ObjectProxy([1, 2, 3])


@wrapt.decorator
def logged(wrapped, instance, args, kwargs):
    return ("logged", wrapped(*args, **kwargs))


@logged
def total(x):
    return x + 1


def plain():
    return "plain"


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)  # the import system asks for __path__ and the like
    raise RuntimeError(f"module has no {name}")
"""
SETUP = """
import m
from m import total, plain, Touchy
t = Touchy()
"""
PROBES = ["plain()", "total(1)", "t.size()", "m.CALLS", "list(m.WRAPPED)", "m.LIMIT"]

touchy = Group("objects", TOUCHY, SETUP)

CASES: list[Case] = [
    touchy.edit("plain_body", 'return "plain"', 'return "plain!"', PROBES, must_apply=True),
    touchy.edit("wrapt_decorated_body", "return x + 1", "return x + 2", PROBES,
                must_apply=True),
    touchy.edit("method_of_touchy_class", "return LIMIT", "return LIMIT * 2", PROBES,
                must_apply=True),
    touchy.edit("constant", "LIMIT = 3", "LIMIT = 4", PROBES),
    touchy.edit("lazy_factory_body", 'return {"debug": True}', 'return {"debug": False}',
                PROBES, must_apply=True),
    touchy.edit("wrapt_decorator_body", 'return ("logged", wrapped(*args, **kwargs))',
                'return ("LOGGED", wrapped(*args, **kwargs))', PROBES, must_apply=True),
]

PRELOAD = ["lazy_object_proxy", "wrapt", "django.conf", "flask"]
