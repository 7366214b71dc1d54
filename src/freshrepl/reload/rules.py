"""Every reason a change is refused: the rules that decide what can be applied in place.

The rules are lists per event, each rule a function from the event's facts to the
refusal's words (or None): ``CLASS_HEADER_RULES``, ``MEMBER_RULES``, ``REMOVAL_RULES``,
``DEF_RULES``, ``CLOSURE_RULES``, ``STATEMENT_RULES``, ``MODULE_RULES``, ``RERUN_RULES``; the first reason found refuses.
A framework's rule is one more entry and one test.  The checks of a ``def`` and of
what builders recorded (``check_forgotten``, ``check_registered_again`` ...) are functions
here too; no other module makes an ``Unsafe``.

A change is applied in place only when, afterwards, everything reachable behaves
as in a fresh process that imported the edited file.  The rules below name
what would stay stale otherwise; each raises ``Unsafe`` with the object and the
reason (the notice shows it and asks to restart).  In one place so that a
reader can check them against the contract.

The general rule for classes: decide by *how the class was built* and *what
changed*.  A class is built by machinery when something besides ``type`` read
its body: a metaclass other than ``type``/``ABCMeta`` (pydantic, SQLAlchemy,
enum, msgspec's C metaclass, TypedDict, NamedTuple), class decorators
(dataclass, attrs), a base's ``__init_subclass__``.  (``__slots__`` does not make
one: ``type()`` reads only the slot names, whose change is refused, as is a member
named like a slot.  Nor does a descriptor with ``__set_name__``: a changed or
added descriptor gets its ``__set_name__`` call again, as ``type()`` gives it;
editing ``__set_name__`` itself after it ran is refused.)  In such a class only
these edits apply:

- the body of a ``def`` whose decorators (and, under decorators, signature)
  did not change: the very function object is patched, so every reference the
  machinery kept (validators, serializers, hooks) runs the new code; if that
  function cannot be found inside what the class holds, the edit is refused;
- a plain method (no decorators, no ``_sunder_``/``__dunder__`` name, not
  overriding a base's) added or removed: machinery looks for none of those;
- the class docstring.

Anything else (annotations, class-level assignments, decorators, special
methods, nested classes) is what machinery derives fields, validators, tables
and schemas from, so it is refused.  Plain classes apply those edits too.

Machinery may also have kept a record of what it built (a registry, a
dispatch table, ``MetaData``): a ``def`` or ``class`` statement that leaves the
file, is redefined, or loses or changes its decorators is refused when what
built it may have recorded it (``records`` decides; a fresh process would not
have the record, and nothing undoes it).

For functions: a changed decorator must reach what it built earlier (the
closure rules in ``closures``); a signature change under a decorator is refused
unless the decorator is known not to read signatures (``property``,
``lru_cache``..., or a Python decorator that only calls, times, logs and
``functools.wraps`` what it wraps); a signature edit of a function that
something outside the user's code holds (a library it was handed to, which
may have read the signature: found by ``holders``) is refused; a decorator
that registered the new function again is refused (the earlier registration
would stay).
"""

from __future__ import annotations

import abc
import ast
import enum
import functools
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from freshrepl.reload import records
from freshrepl.reload.analysis import DEFS, bound_names, eager_reads, is_docstring, stmt_key
from freshrepl.reload.objects import class_lookup, is_a


class Unsafe(Exception):
    """A change that cannot be applied in place; the message names object and reason."""


_PLAIN_METACLASSES = (type, abc.ABCMeta)
# Bases whose __init_subclass__ reads only the class header (Generic's, in C from 3.12).
_HEADER_ONLY_HOOK_MODULES = frozenset({"typing", "_typing"})
# Decorators that wrap a function without reading its signature (safe under a signature edit).
_TRANSPARENT = (
    property, staticmethod, classmethod, functools.cached_property, abc.abstractmethod,
    functools.cache, functools.lru_cache, typing.overload, typing.final,
)
# Everything a user's own wrapping decorator may touch and still not read the signature
# of what it wraps: it can only call it, time it, log it and copy its name and doc.
_WRAPPING_NAMES = frozenset({
    "functools", "wraps", "update_wrapper", "time", "perf_counter", "perf_counter_ns",
    "monotonic", "monotonic_ns", "time_ns", "print", "logging", "logger", "log", "getLogger",
    "debug", "info", "warning", "error", "exception", "sys", "stderr", "stdout", "write",
    "flush", "len", "str", "repr", "format", "round", "__name__", "__qualname__",
    "__module__", "__doc__",
})
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement or type()
_META_HOOKS = frozenset({"__new__", "__init__", "__prepare__"})


def keys(nodes: Iterable[ast.AST]) -> list[str]:
    return [stmt_key(n) for n in nodes]


def reads(nodes: Iterable[ast.expr | None]) -> set[str]:
    return set().union(*(eager_reads(ast.Expr(value=n)) for n in nodes if n is not None))


def is_special(name: str) -> bool:
    """``__dunder__`` or ``_sunder_``: names machinery looks for."""
    return len(name) > 2 and name[0] == name[-1] == "_"


# -- how a class was built ---------------------------------------------------------------------


def class_builders(cls: type, stmt: ast.ClassDef) -> list[str]:
    """What besides ``type`` read the class body, in words (empty: a plain class)."""
    found = []
    if not cls.__flags__ & _HEAP_TYPE:
        found.append("C code")
    meta = type(cls)
    if meta not in _PLAIN_METACLASSES:
        found.append(f"metaclass {meta.__name__}")
    found += [f"@{ast.unparse(d)}" for d in stmt.decorator_list]
    if "_fields" in cls.__dict__ and issubclass(cls, tuple):
        found.append("typing.NamedTuple")
    for base in cls.__mro__[1:]:
        if "__init_subclass__" in base.__dict__ and base is not object:
            if base.__module__ not in _HEADER_ONLY_HOOK_MODULES:
                found.append(f"{base.__qualname__}.__init_subclass__")
    return found


# -- rule lists: each event's rules, in order; the first reason found refuses ------------------

E = TypeVar("E")
Rule = Callable[[E], "str | None"]  # the refusal's words, or None: this rule has no objection


def _refuse_first(rules: Iterable[Rule[E]], event: E) -> None:
    for rule in rules:
        reason = rule(event)
        if reason:
            raise Unsafe(reason)


@dataclass(frozen=True)
class ClassHeader:
    """A class patched in place: its statement's header, before and after."""

    cls: type
    old: ast.ClassDef
    new: ast.ClassDef
    dirty: frozenset[str]  # names whose values changed: a header reading one changed too


def _header_part(what: str, part: Callable[[ast.ClassDef], list[ast.AST]]) -> Rule[ClassHeader]:
    """A part of the header (decorators, bases, keywords) written or valued otherwise."""

    def rule(e: ClassHeader) -> str | None:
        before, after = part(e.old), part(e.new)
        values = [n.value if isinstance(n, ast.keyword) else n for n in after]
        if keys(before) != keys(after) or reads(values) & e.dirty:  # type: ignore[arg-type]
            return f"{e.cls.__qualname__}: {what} changed"
        return None

    return rule


def _keywords(metaclass: bool) -> Callable[[ast.ClassDef], list[ast.AST]]:
    return lambda node: [k for k in node.keywords if (k.arg == "metaclass") == metaclass]


def _slots_changed(e: ClassHeader) -> str | None:
    if _slots(e.old) != _slots(e.new):
        return f"{e.cls.__qualname__}: __slots__ changed"
    return None


CLASS_HEADER_RULES: list[Rule[ClassHeader]] = [
    _header_part("class decorators", lambda node: list(node.decorator_list)),
    _header_part("metaclass", _keywords(metaclass=True)),
    _header_part("base classes", lambda node: list(node.bases)),
    _header_part("class keywords", _keywords(metaclass=False)),
    _slots_changed,
]


def check_class_header(cls: type, old: ast.ClassDef, new: ast.ClassDef, dirty: set[str]) -> None:
    """Raise Unsafe if the class statement's header changed: that builds another class."""
    _refuse_first(CLASS_HEADER_RULES, ClassHeader(cls, old, new, frozenset(dirty)))


def _slots(node: ast.ClassDef) -> list[str]:
    return keys(s for s in node.body if "__slots__" in bound_names(s))


# -- what changed in a class body ----------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A changed statement of a class body: a ``def`` whose new code goes into the existing
    function (``in_place``), or anything else, copied onto the class."""

    cls: type
    builders: tuple[str, ...]  # what besides type() read the body (``class_builders``)
    stmt: ast.stmt
    names: frozenset[str]  # the names it binds
    old: ast.stmt | None  # the statement it replaces (None: added)
    in_place: bool = False
    instances: Callable[[type], bool] = lambda cls: False  # any live object of a class?


def _machinery_member(e: Member) -> str | None:
    """A class built by machinery takes only plain methods and its docstring (module doc)."""
    cls, stmt, old = e.cls, e.stmt, e.old
    if e.in_place or not e.builders or is_docstring(stmt):
        return None
    if _plain_method(stmt) and (old is None or _plain_method(old)) and not _overrides(cls, stmt):
        return None
    if old is None and _written_only_if_absent(cls, e.builders, stmt):
        return None
    name = ", ".join(sorted(e.names - {"__annotations__"})) or "a statement"
    what = "added" if old is None else "changed"
    if isinstance(stmt, ast.AnnAssign):
        what = f"field {what}"
    if isinstance(stmt, ast.ClassDef) and isinstance(old, ast.ClassDef):
        return f"{cls.__qualname__}.{name}: nested class changed in a class built by {e.builders[0]}"
    known = _known_kind(cls, stmt)
    if known:
        return f"{cls.__qualname__}: {known} ({name} {what})"
    return f"{cls.__qualname__}.{name}: {what} in a class built by {e.builders[0]}"


def _slot_conflict(e: Member) -> str | None:
    """``__slots__`` alone builds nothing from the body, but a class attribute named like
    a slot would replace the slot's descriptor (``type()`` refuses that class outright)."""
    slots = e.cls.__dict__.get("__slots__", ())
    clash = e.names & ({slots} if isinstance(slots, str) else set(slots))
    if clash and not e.in_place:
        return f"{e.cls.__qualname__}.{min(clash)}: conflicts with __slots__"
    return None


def _hook_after_use(e: Member) -> str | None:
    """Hooks that ran when earlier classes or objects were built keep what they did."""
    cls, name = e.cls, getattr(e.stmt, "name", "")
    if not e.in_place:
        return None
    if name == "__init_subclass__" and type.__subclasses__(cls):
        return f"{cls.__qualname__}.__init_subclass__: changed after subclasses were built"
    if name == "__set_name__" and e.instances(cls):
        return f"{cls.__qualname__}.__set_name__: changed after it named its instances"
    if name in _META_HOOKS and issubclass(cls, type) and e.instances(cls):
        return f"{cls.__qualname__}.{name}: changed after it built classes"
    return None


# Methods an enum calls while it builds its members: their values and attributes come from them.
_ENUM_BUILDERS = frozenset({"__new__", "__init__", "_generate_next_value_"})


def _enum_member_builder(e: Member) -> str | None:
    """An enum's members were made by ``__new__``/``__init__`` and numbered by
    ``_generate_next_value_`` when the class was built: a fresh process would make
    them with the new code, the live ones keep what the old code gave them."""
    name = getattr(e.stmt, "name", "")
    if e.in_place and name in _ENUM_BUILDERS and is_enum(e.cls):
        if any(c.__members__ for c in _family(e.cls)):  # type: ignore[attr-defined]
            return f"{e.cls.__qualname__}.{name}: changed after it built the enum's members"
    return None


MEMBER_RULES: list[Rule[Member]] = [
    _machinery_member, _slot_conflict, _hook_after_use, _enum_member_builder,
]


def check_member(event: Member) -> None:
    _refuse_first(MEMBER_RULES, event)


@dataclass(frozen=True)
class Removal:
    """A member the new class body no longer binds."""

    cls: type
    builders: tuple[str, ...]
    name: str
    old: ast.stmt | None  # the statement that bound it


def _machinery_removal(e: Removal) -> str | None:
    cls, old = e.cls, e.old
    if not e.builders or (old is not None and _plain_method(old) and not _overrides(cls, old)):
        return None
    known = _known_kind(cls, old)
    if known:
        return f"{cls.__qualname__}: {known} ({e.name} removed)"
    return f"{cls.__qualname__}.{e.name}: removed from a class built by {e.builders[0]}"


REMOVAL_RULES: list[Rule[Removal]] = [_machinery_removal]


def check_removal(event: Removal) -> None:
    _refuse_first(REMOVAL_RULES, event)


def _known_kind(cls: type, stmt: ast.stmt | None) -> str:
    """The stdlib builders' own words for their fields and members."""
    field = stmt is None or isinstance(stmt, ast.AnnAssign)
    if "__dataclass_fields__" in cls.__dict__ and field:
        return "dataclass fields changed"
    if issubclass(cls, tuple) and class_lookup(cls, "_fields", None) is not None and field:
        return "NamedTuple fields changed"
    if is_enum(cls) and not isinstance(stmt, (*DEFS, ast.ClassDef)):
        return "enum members changed"
    return ""


def _written_only_if_absent(cls: type, builders: tuple[str, ...], stmt: ast.stmt) -> bool:
    """A dataclass writes ``__init__``, ``__repr__`` and ``__eq__`` only when the class has
    none: the user's own, added later, is what a fresh process would have too."""
    return (
        len(builders) == 1
        and "__dataclass_params__" in cls.__dict__
        and isinstance(stmt, DEFS)
        and not stmt.decorator_list
        and stmt.name in ("__init__", "__repr__", "__eq__")
    )


def _overrides(cls: type, stmt: ast.stmt) -> bool:
    """A method a base defines too: machinery may look for it by name (``model_post_init``)."""
    name = getattr(stmt, "name", "")
    return any(name in base.__dict__ for base in cls.__mro__[1:])


def _plain_method(stmt: ast.stmt) -> bool:
    return isinstance(stmt, DEFS) and not stmt.decorator_list and not is_special(stmt.name)


def _family(cls: type) -> list[type]:
    found, todo = [], [cls]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += type.__subclasses__(current)
    return found


def refuse_underivable(cls: type, what: str) -> NoReturn:
    """This interpreter keeps ``what`` in a way freshrepl does not know how to recompute."""
    raise Unsafe(f"{cls.__qualname__}: its {what} cannot be recomputed on this Python")


# -- functions -------------------------------------------------------------------------------


def decorators_same(old: ast.stmt, new: ast.stmt, dirty: set[str]) -> bool:
    """Same decorator expressions, none reading a name whose value changed."""
    before, after = old.decorator_list, new.decorator_list  # type: ignore[attr-defined]
    return keys(before) == keys(after) and not reads(after) & dirty


@dataclass(frozen=True, slots=True)  # slots: a holder of the function the holders walk knows
class DefChange:
    """A changed ``def`` whose new code goes into the existing function, under the same
    decorators."""

    qualname: str
    old: ast.stmt
    new: ast.stmt
    evaluate: Callable[[ast.expr], object]  # a decorator expression, where the code runs
    dirty: frozenset[str] = frozenset()  # names whose values changed (a default may read one)
    function: object = None  # the function patched, and what the module binds (its wrapper)
    holder: object = None
    # What outside the user's code holds one of these objects, in words (``holders``), or None.
    held_by: Callable[[list[object]], str | None] = lambda targets: None


def _signature_under_decorator(e: DefChange) -> str | None:
    """A decorator may have read the signature (validate_call, singledispatch, routes):
    a signature edit under one that is not known to ignore it is refused."""
    if _header(e.old) == _header(e.new):
        return None
    for node in e.new.decorator_list:  # type: ignore[attr-defined]
        if not _transparent(node, e.evaluate):
            return (f"{e.qualname}: signature changed under @{ast.unparse(node)}"
                    " (what the decorator derived from it would be stale)")
    return None


def _signature_held_elsewhere(e: DefChange) -> str | None:
    """A library handed the function earlier (FastAPI's ``Depends``, a click callback, a
    library's dispatch table) may have read its parameters, defaults and annotations
    then: a signature edit is refused while something outside the user's code holds it."""
    args = e.new.args  # type: ignore[attr-defined]
    values = [*args.defaults, *args.kw_defaults]
    if _header(e.old) == _header(e.new) and not reads(values) & e.dirty:
        return None
    holder = e.held_by([e.holder, e.function])
    if holder is None:
        return None
    return (f"{e.qualname}: signature changed, but {holder} holds the function"
            " (what it read from the old signature would be stale)")


DEF_RULES: list[Rule[DefChange]] = [_signature_under_decorator, _signature_held_elsewhere]


def check_def(event: DefChange) -> None:
    _refuse_first(DEF_RULES, event)


def same_header(old: ast.stmt, new: ast.stmt) -> bool:
    """Same parameters, annotations and return annotation: what a decorator may read."""
    return _header(old) == _header(new)


def _header(stmt: ast.stmt) -> str:
    return stmt_key(stmt.args) + stmt_key(stmt.returns or ast.Pass())  # type: ignore[attr-defined]


def _transparent(node: ast.expr, evaluate: Callable[[ast.expr], object]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in ("setter", "getter", "deleter"):
        return True  # @prop.setter of a property
    target = node.func if isinstance(node, ast.Call) else node
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return False
    try:
        value = evaluate(target)
    except Exception:  # an unknown name: not known to be transparent
        return False
    if any(value is t for t in _TRANSPARENT):
        return True
    return type(value) is types.FunctionType and _only_wraps(value.__code__)


def _only_wraps(code: types.CodeType) -> bool:
    """A decorator (or decorator factory) written in Python whose code, nested functions
    included, touches nothing that could read a signature (see ``_WRAPPING_NAMES``)."""
    nested = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return set(code.co_names) <= _WRAPPING_NAMES and all(_only_wraps(c) for c in nested)


def check_registered_again(name: str, holders: list[object]) -> None:
    """A re-applied decorator stored the new function somewhere (a route table, a
    dispatch registry): the earlier registration would stay beside it."""
    if holders:
        kinds = ", ".join(sorted({type(h).__name__ for h in holders}))
        raise Unsafe(f"{name}: the changed decorator registered it again (in a {kinds})")


def refuse_kind_changed(name: str, was: object, now: object) -> NoReturn:
    raise Unsafe(
        f"{name}: decorator changed the kind of object ({type(was).__name__} -> {type(now).__name__})"
    )


def refuse_not_found(qualname: str, holder: object) -> NoReturn:
    """A changed ``def`` whose function object cannot be found (an unknown descriptor, a
    wrapper in C, machinery that moved it): patching nothing would be a false "reloaded"."""
    where = holder.__qualname__ if is_a(holder, type) else type(holder).__name__
    raise Unsafe(f"{qualname}: cannot find the function to patch inside {where}")


def check_class_rebuilt(name: str, was: type, now: object) -> None:
    old_fields = class_lookup(was, "_fields", None)
    new_fields = class_lookup(now, "_fields", None) if is_a(now, type) else None
    same = type(old_fields) is tuple and type(new_fields) is tuple and old_fields == new_fields
    if same:
        return  # an equivalent namedtuple built again: the old class is kept
    reason = "NamedTuple fields changed" if old_fields is not None else "class rebuilt"
    raise Unsafe(f"{name}: {reason}")


# -- records machinery kept of what it built (decided in ``records``) -----------------------

REMOVING, REDEFINING, REDECORATING = "removing", "redefining", "changing the decorators of"


def check_forgotten(
    name: str, stmt: ast.stmt, built: object, evaluate: Callable[[ast.expr], object], why: str
) -> None:
    """The object ``stmt`` built will no longer be what a fresh process builds there
    (``why``): refused if its decorators, base hooks, metaclass or descriptors may have
    kept a record of it.  ``built`` is the class ``stmt`` made (None for a function)."""
    kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
    for node in stmt.decorator_list:  # type: ignore[attr-defined]
        if records.decorator_may_record(node, evaluate):
            target = node.func if isinstance(node, ast.Call) else node
            raise Unsafe(
                f"{name}: {why} a {kind} its decorator `{ast.unparse(target)}` may have registered"
            )
    if is_a(built, type):
        seen_by = _class_recorder(built)
        if seen_by:
            raise Unsafe(f"{name}: {why} a class {seen_by}")


def refuse_old_record(name: str, holder: object) -> NoReturn:
    raise Unsafe(
        f"{name}: redefined, but what its decorators registered still holds the old"
        f" function (in a {type(holder).__name__})"
    )


def _class_recorder(cls: type) -> str:
    """What besides decorators may have recorded ``cls`` when it was built, in words."""
    for base in cls.__mro__[1:]:
        hook = base.__dict__.get("__init_subclass__")
        if hook is None or base is object or base.__module__ in _HEADER_ONLY_HOOK_MODULES:
            continue  # typing's hooks set the class's own parameters, nothing elsewhere
        if records.hook_may_record(hook):
            return f"that {base.__qualname__}.__init_subclass__ has seen"
    if records.metaclass_may_record(type(cls)):
        return f"its metaclass {type(cls).__name__} built (it may keep a record of it)"
    for attr, value in cls.__dict__.items():
        set_name = class_lookup(type(value), "__set_name__", None)
        if set_name is not None and records.hook_may_record(set_name):
            return f"whose `{attr}` ({type(value).__name__}.__set_name__) may have recorded it"
    return ""


def refuse_rebound_later(name: str, read: str) -> NoReturn:
    """Run again now, a statement would read ``read`` as a later statement left it."""
    raise Unsafe(
        f"{name or 'a statement'}: reads `{read}`, which a later statement rebinds"
        " (the value it read when the module ran is gone)"
    )


# -- closures and decorators (found in ``closures``, judged here) -------------------------------


@dataclass(frozen=True)
class Closure:
    """A function nested in a changed one (a factory's product, a decorator's wrapper),
    and the objects built earlier from its old code that are still alive."""

    qualname: str
    made: int  # live objects built from the old code
    gone: bool  # no counterpart in the new code
    own_changed: bool  # its own code changed (not only the functions it defines)
    freevars: tuple[tuple[str, ...], tuple[str, ...]]  # old and new free variables
    parent: str  # the function that makes it
    parent_changed: bool  # that function's own code changed around it
    top: str  # the changed top-level function or method
    decorator: bool  # ``top`` is used as a decorator


def _lost_closure(e: Closure) -> str | None:
    if e.gone and e.made:
        return f"{e.qualname}: gone from the new code, but {e.made} made earlier are in use"
    return None


def _decorator_unreached(e: Closure) -> str | None:
    """A decorator whose wrapper changed, with no earlier wrapper alive to take the code:
    what it did to the functions it decorated earlier is out of reach."""
    if not e.gone and not e.made and e.decorator and e.own_changed:
        return _changed_decorator(e.top)
    return None


def _closure_cells(e: Closure) -> str | None:
    """A function object cannot grow or lose closure cells."""
    if e.made and not e.gone and e.freevars[0] != e.freevars[1]:
        return f"{e.qualname}: closure free variables changed ({e.made} made earlier in use)"
    return None


def _changed_factory(e: Closure) -> str | None:
    if e.made and not e.gone and e.parent_changed:
        return (f"{e.parent}: changed around closures it made earlier ({e.made} in use),"
                " which would keep what the old code set up")
    return None


CLOSURE_RULES: list[Rule[Closure]] = [
    _lost_closure, _decorator_unreached, _closure_cells, _changed_factory,
]


def check_closure(event: Closure) -> None:
    _refuse_first(CLOSURE_RULES, event)


def _changed_decorator(qualname: str) -> str:
    return (f"{qualname}: decorator changed; what it did to the functions or classes it"
            " decorated earlier would be stale")


def refuse_changed_decorator(qualname: str) -> NoReturn:
    raise Unsafe(_changed_decorator(qualname))


def refuse_closure_cells(qualname: str) -> NoReturn:
    """An old function object cannot take code with other closure cells (only a method
    gaining or losing ``super()`` is forwarded to its new version)."""
    raise Unsafe(f"{qualname}: closure free variables changed")


def refuse_nested_class_replaced(qualname: str) -> NoReturn:
    raise Unsafe(f"{qualname}: nested class replaced")


def refuse_generic_class(name: str) -> NoReturn:
    raise Unsafe(f"{name}: generic class syntax cannot be patched in place")


# -- a module's changed statements ------------------------------------------------------------

# Methods that add to the object they are called on: called again, the old call's addition stays.
_ACCUMULATING = ("add", "append", "extend", "insert", "register", "connect", "subscribe",
                 "attach", "include", "mount", "push")


@dataclass(frozen=True)
class Statement:
    """A changed top-level statement about to run again, and the old one it replaces."""

    new: ast.stmt
    old: ast.stmt


def _call_of(stmt: ast.stmt) -> ast.Call | None:
    """``receiver.method(...)`` written as a statement of its own."""
    value = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        return value
    return None


def _accumulating_call_changed(e: Statement) -> str | None:
    """``LOG.addHandler(A)`` became ``LOG.addHandler(B)``: run again, the logger has both;
    a fresh process has only B, and nothing here can take A back out."""
    new, old = _call_of(e.new), _call_of(e.old)
    if new is None or old is None:
        return None
    method = new.func.attr  # type: ignore[attr-defined]
    same_target = stmt_key(new.func) == stmt_key(old.func)
    if same_target and method.lower().startswith(_ACCUMULATING):
        target = ast.unparse(new.func)
        return (f"`{target}(...)` changed: what the old call added stays in"
                f" `{ast.unparse(new.func.value)}` (a fresh process has only the new one)")  # type: ignore[attr-defined]
    return None


STATEMENT_RULES: list[Rule[Statement]] = [_accumulating_call_changed]


def check_statement(event: Statement) -> None:
    _refuse_first(STATEMENT_RULES, event)


# -- modules: before their new code runs, and when it raised -----------------------------------


OPT_OUT = "module opts out (__freshrepl_reload__ = False)"


@dataclass(frozen=True)
class ModuleChange:
    """A module about to run its changed statements."""

    name: str
    module: types.ModuleType
    interpreter_gap: str | None  # why this interpreter is not understood (``interpreter``)


def _opted_out(e: ModuleChange) -> str | None:
    if e.module.__dict__.get("__freshrepl_reload__", True) is False:
        return f"{e.name}: {OPT_OUT}"
    return None


def _interpreter_not_understood(e: ModuleChange) -> str | None:
    return f"{e.name}: {e.interpreter_gap}" if e.interpreter_gap is not None else None


MODULE_RULES: list[Rule[ModuleChange]] = [_opted_out, _interpreter_not_understood]


def check_module(event: ModuleChange) -> None:
    _refuse_first(MODULE_RULES, event)


@dataclass(frozen=True)
class Rerun:
    """The module's changed statements raised while they ran in the live process."""

    error: BaseException
    where: str  # file:line, the exception's type and first line


def _raised_in_live_process(e: Rerun) -> str | None:
    """A fresh process may well run it (Flask forbids a route once a request was served;
    a registry rejects a second entry), so the old module is kept and the restart is
    offered.  Only an interrupt (Ctrl-C) is a plain failure."""
    return None if isinstance(e.error, KeyboardInterrupt) else e.where


RERUN_RULES: list[Rule[Rerun]] = [_raised_in_live_process]


def refuse_failed_rerun(exc: BaseException, where: str) -> Unsafe | None:
    """The refusal for changed code that raised, or None: a plain failure."""
    try:
        _refuse_first(RERUN_RULES, Rerun(exc, where))
    except Unsafe as refusal:
        return refusal
    return None


def extension_changed(name: str) -> str:
    """A compiled extension cannot be reloaded: the refusal's words."""
    return f"{name}: compiled extension changed"


def is_enum(cls: type) -> bool:
    return isinstance(cls, enum.EnumMeta)
