"""Closures and wrappers made earlier by a changed function: found in one heap pass, given new code.

A function made by running a ``def`` or ``lambda`` inside another function (a
closure factory's product, a decorator's wrapper) is an object of its own,
built from a code object nested in the outer function's code.  When the outer
function changes, those earlier objects keep the old code wherever they are
kept (an instance attribute, a library's callback list, a ``from`` import).
``gc.get_referrers(old_nested_code)`` finds exactly the function objects built
from that code, in C: no Python-level walk, and only for edits that need it
(a plain function edit never walks the heap).

What can be applied (the words are in ``rules``): a nested function whose
surroundings did not change gets the new code in every object made earlier;
a change around live closures (the factory's own code, their free variables)
is refused, as is a decorator's change that no earlier object can take.
"""

from __future__ import annotations

import gc
import types
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.analysis import COMPREHENSIONS, same_shape

CodeType = types.CodeType


def _children(code: CodeType) -> list[CodeType]:
    """Code objects of functions and classes defined directly in ``code``
    (looking through comprehensions, which run inline)."""
    found = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            if const.co_name in COMPREHENSIONS:
                found += _children(const)
            else:
                found.append(const)
    return found


def _own_key(code: CodeType) -> tuple:
    """What a code object does itself, without positions and without the bodies of the
    functions it defines (those are compared level by level)."""
    consts: list[Any] = []
    for const in code.co_consts:
        if not isinstance(const, CodeType):
            consts.append((type(const), const))
        elif const.co_name in COMPREHENSIONS:
            consts.append(_own_key(const))
        else:
            consts.append(("def", const.co_name))
    return (
        code.co_code, code.co_names, code.co_varnames, code.co_freevars,
        code.co_cellvars, code.co_flags, tuple(consts),
    )


def own_changed(old: CodeType, new: CodeType) -> bool:
    return _own_key(old) != _own_key(new)


class _Lineage:
    """Earlier versions of nested code objects whose closures may still be alive.

    When a function only gets new positions (lines moved), closures it made keep
    the old nested code: the new nested code remembers it, so that a later edit
    finds those closures too.  Keyed by identity (code objects compare by value).
    """

    def __init__(self) -> None:
        self._earlier: dict[int, tuple[weakref.ref, list[CodeType]]] = {}

    def replaced(self, old: CodeType, new: CodeType) -> None:
        """``new`` takes ``old``'s place: its nested codes inherit the earlier versions."""
        for o, n in _nested_pairs(old, new):
            if o is not n:
                self._earlier[id(n)] = (weakref.ref(n, self._forget(id(n))), self.versions(o))

    def versions(self, code: CodeType) -> list[CodeType]:
        """``code`` and the earlier versions that closures may still run."""
        entry = self._earlier.get(id(code))
        return [code, *entry[1]] if entry is not None and entry[0]() is code else [code]

    def settled(self, code: CodeType) -> None:
        """Every closure of ``code``'s versions now runs newer code."""
        self._earlier.pop(id(code), None)

    def _forget(self, key: int):  # noqa: ANN202 - a weakref callback
        return lambda _ref: self._earlier.pop(key, None)


LINEAGE = _Lineage()


def _nested_pairs(old: CodeType, new: CodeType) -> list[tuple[CodeType, CodeType]]:
    """Nested function codes of ``old`` and ``new`` paired by name and order, all depths."""
    pairs = []
    theirs = _by_name(_children(new))
    for name, olds in _by_name(_children(old)).items():
        news = theirs.get(name, [])
        if len(news) == len(olds):
            for o, n in zip(olds, news, strict=True):
                pairs += [(o, n), *_nested_pairs(o, n)]
    return pairs


@dataclass
class _Pair:
    qualname: str
    old: CodeType
    new: CodeType | None  # None: no counterpart in the new code
    parent: str  # qualified name of the function that makes it
    parent_changed: bool
    top: str  # the changed top-level function or method
    decorator: bool  # the top-level function is used as a decorator


class ClosureWork:
    """Nested code replaced during one reload; ``finish`` brings their earlier objects along."""

    def __init__(self) -> None:
        self.pairs: list[_Pair] = []
        # Is a function used as a decorator in the user's code (asked for changed ones)?
        self.is_decorator: Callable[[types.FunctionType], bool] = lambda fn: False
        # The code object to install for a new one (its twin in the whole file's compile).
        self.final: Callable[[CodeType], CodeType] = lambda code: code

    def note(self, fn: types.FunctionType, new: CodeType) -> CodeType:
        """``fn``'s code goes from its own to ``new``: returns the code to install;
        what needs no heap is decided now, the rest in ``finish``."""
        qualname, old, new = fn.__qualname__, fn.__code__, self.final(new)
        if same_shape(old, new):
            LINEAGE.replaced(old, new)  # moved only: closures made earlier stay findable
            return new
        changed = own_changed(old, new)
        decorator = self.is_decorator(fn)
        if changed and decorator:
            rules.refuse_changed_decorator(qualname)
        self._pair(qualname, old, new, changed, qualname, decorator)
        return new

    def _pair(
        self, qualname: str, old: CodeType, new: CodeType, changed: bool, top: str, decorator: bool
    ) -> None:
        mine, theirs = _by_name(_children(old)), _by_name(_children(new))
        for name, olds in mine.items():
            news = theirs.get(name, [])
            inner = f"{qualname}.<locals>.{name}"
            if len(news) != len(olds):
                news = [None] * len(olds)  # type: ignore[list-item]
            for o, n in zip(olds, news, strict=True):
                self.pairs.append(_Pair(inner, o, n, qualname, changed, top, decorator))
                if n is not None:
                    self._pair(inner, o, n, own_changed(o, n), top, decorator)

    def finish(self, log: Any) -> list[tuple[str, str]]:
        """Give live closures their new code, or raise Unsafe; returns notice entries."""
        if not self.pairs:
            return []
        pairs, self.pairs = self.pairs, []
        live = _live_functions([p.old for p in pairs])  # by id of the pair's old code
        updated: dict[str, int] = defaultdict(int)
        for pair in pairs:
            made = live.get(id(pair.old), [])
            new = pair.new
            changed = new is not None and own_changed(pair.old, new)
            rules.check_closure(rules.Closure(
                pair.qualname, len(made), new is None, changed,
                (pair.old.co_freevars, new.co_freevars if new is not None else ()),
                pair.parent, pair.parent_changed, pair.top, pair.decorator,
            ))
            if new is None or not made:
                continue
            log.save_codes(made)
            for fn in made:
                fn.__code__ = new
            if changed:
                updated[pair.top] += len(made)
        for pair in pairs:  # only now: a refusal above leaves the earlier versions known
            LINEAGE.settled(pair.old)
        return [(f"{n} closure{'s' * (n > 1)} of {top}", "updated") for top, n in updated.items()]


def _by_name(codes: list[CodeType]) -> dict[str, list[CodeType]]:
    grouped: dict[str, list[CodeType]] = {}
    for code in codes:
        grouped.setdefault(code.co_name, []).append(code)
    return grouped


def _live_functions(codes: list[CodeType]) -> dict[int, list[types.FunctionType]]:
    """Function objects built from any of ``codes`` or their earlier versions, by id of
    the code in ``codes``: one pass over the heap, in C."""
    wanted = {id(v): c for c in codes for v in LINEAGE.versions(c)}
    found: dict[int, list[types.FunctionType]] = defaultdict(list)
    for ref in gc.get_referrers(*(v for c in codes for v in LINEAGE.versions(c))):
        if type(ref) is types.FunctionType and id(ref.__code__) in wanted:
            found[id(wanted[id(ref.__code__)])].append(ref)
    return found
