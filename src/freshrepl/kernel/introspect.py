"""Looking at live objects without running the user's code: signatures, docstrings, lookups.

The shell asks while the user types, so nothing here may have side effects:
an expression is resolved only through names and attributes, attributes
are read statically (no property getter, ``__getattr__`` or custom
descriptor runs), and nothing is ever called.  ``scan`` reads the text
before the cursor (open brackets, the string the cursor is in) for the
completer and for signature help.
"""

from __future__ import annotations

import builtins
import functools
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from freshrepl.kernel.imports import without_user_path
from freshrepl.source_text import help_context, string_end

_DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_KEYWORD_ARG = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")  # matched at an argument's start only
_PREFIX_LETTERS = frozenset("rRbBuUfF")

# Descriptors implemented in C whose __get__ only binds: safe to call.
_BINDS_SAFELY = (
    types.FunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
)


@dataclass
class OpenBracket:
    """A bracket not closed before the cursor."""

    position: int
    char: str
    commas: int = 0  # commas at this bracket's own depth so far
    item_start: int = 0  # where the current argument or item starts


@dataclass
class Scan:
    """What the text before the cursor leaves open."""

    brackets: list[OpenBracket] = field(default_factory=list)
    string_start: int | None = None  # index of the opening quote of an unclosed string
    quote: str = ""  # its quote: ' " ''' or \"\"\"
    prefix: str = ""  # its prefix letters (r, b, f, rb, ...)
    in_comment: bool = False  # the text ends inside a comment


def scan(text: str) -> Scan:
    """Brackets and string left open at the end of ``text`` (comments skipped)."""
    result = Scan()
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            newline = text.find("\n", i)
            if newline < 0:
                result.in_comment = True
                return result
            i = newline
            continue
        if char in "'\"":
            end = string_end(text, i)
            if end is None:
                result.string_start = i
                result.quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else char
                result.prefix = _string_prefix(text, i)
                return result
            i = end
            continue
        if char in "([{":
            result.brackets.append(OpenBracket(i, char, 0, i + 1))
        elif char in ")]}" and result.brackets:
            result.brackets.pop()
        elif char == "," and result.brackets:
            result.brackets[-1].commas += 1
            result.brackets[-1].item_start = i + 1
        i += 1
    return result


def _string_prefix(text: str, quote: int) -> str:
    """The prefix letters (``rb``, ``f``) of the string literal whose quote is at ``quote``."""
    start = quote
    while start > 0 and quote - start < 2 and text[start - 1] in _PREFIX_LETTERS:
        start -= 1
    if start > 0 and _is_word_char(text[start - 1]):
        return ""  # the end of a name (``bar"x"`` is no prefix), or a third letter
    return text[start:quote]


def _is_word_char(char: str) -> bool:
    return char == "_" or char.isalnum()


def _callee_before(text: str, end: int) -> str | None:
    """The dotted name (blanks around its dots dropped) that ``text[:end]`` ends with, or None."""
    parts = []
    i = _blanks_before(text, end)
    while True:
        start = i
        while start > 0 and _is_word_char(text[start - 1]):
            start -= 1
        name = text[start:i]
        if not name or name[0].isdigit():
            return None
        parts.append(name)
        before = _blanks_before(text, start)
        if before == 0 or text[before - 1] != ".":
            return ".".join(reversed(parts))
        i = _blanks_before(text, before - 1)


def _blanks_before(text: str, end: int) -> int:
    """Where the run of blanks ending at ``end`` starts."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


# -- resolving an expression safely -------------------------------------------------


def resolve(expr: str, namespace: dict[str, Any], modules: bool = False,
            descriptor: bool = False) -> Any:
    """The object ``a.b.c`` names, read without side effects; ``LookupError`` if none.

    ``modules``: a first name not in the namespace may be a loaded module
    (``json.dumps`` when json was imported elsewhere).  ``descriptor``: the
    last attribute may be a property (or other descriptor) itself, whose
    value it would take running code to know.
    """
    expr = re.sub(r"\s+", "", expr)
    if not _DOTTED.fullmatch(expr):
        raise LookupError(expr)
    first, *attributes = expr.split(".")
    if first in namespace:
        obj = namespace[first]
    elif first in builtins.__dict__:
        obj = builtins.__dict__[first]
    elif modules and first in sys.modules:
        obj = sys.modules[first]
    else:
        raise LookupError(first)
    for index, name in enumerate(attributes):
        obj = static_attribute(obj, name, descriptor and index == len(attributes) - 1)
    return obj


def static_attribute(obj: Any, name: str, descriptor: bool = False) -> Any:
    """``obj.name`` as Python would find it, but never running user code.

    Methods are bound (binding a function runs nothing).  A property or other
    custom descriptor would run code: ``LookupError``, or with ``descriptor``
    the descriptor object itself.
    """
    import inspect

    try:
        value = inspect.getattr_static(obj, name)
    except AttributeError:
        raise LookupError(name) from None
    if is_a(obj, types.ModuleType):
        return value
    owner = obj if is_a(obj, type) else type(obj)
    if value is not _class_attribute(owner, name):
        return value  # from the instance's __dict__ (or the metaclass): taken as is
    if is_a(value, staticmethod):
        return value.__func__
    if is_a(value, classmethod):
        return types.MethodType(value.__func__, owner)
    if is_a(value, _BINDS_SAFELY):
        return value.__get__(None if owner is obj else obj, owner)
    if _class_attribute(type(value), "__get__") is _MISSING:
        return value  # a plain class attribute
    if owner is obj and is_a(value, property):
        return value  # a property read on its class is the property
    if descriptor:
        return value
    raise LookupError(f"{name} is computed when read")


def is_a(obj: Any, kind: type | tuple[type, ...]) -> bool:
    """``isinstance`` by the real type only (isinstance may read a ``__class__`` property)."""
    return issubclass(type(obj), kind)


_MISSING = object()


def _class_attribute(cls: type, name: str) -> Any:
    for klass in type.__dict__["__mro__"].__get__(cls):
        namespace = type.__dict__["__dict__"].__get__(klass)
        if name in namespace:
            return namespace[name]
    return _MISSING


# -- signatures and docstrings ------------------------------------------------------


@dataclass
class CallSite:
    """The call the cursor is in."""

    callee: str  # the expression before the bracket, e.g. "os.path.join"
    argument: int  # index of the argument being typed
    keyword: str | None  # its name when typed as name=...


def call_site(text: str) -> CallSite | None:
    """The innermost call whose bracket is open at the end of ``text`` (``help_context`` of it)."""
    context = help_context(text)
    if context is None:
        return None
    text = context
    found = scan(text)
    if found.string_start is not None:
        found = scan(text[:found.string_start])  # inside a string argument: same call
    for bracket in reversed(found.brackets):
        if bracket.char != "(":
            continue
        callee = _callee_before(text, bracket.position)
        if callee is None:
            return None  # f()(, x[0](: needs a call or subscript to know
        keyword = _KEYWORD_ARG.match(text, bracket.item_start)
        return CallSite(callee, bracket.commas, keyword.group(1) if keyword else None)
    return None


def signatures(obj: Any, name: str) -> list[str]:
    """``name(params)`` lines for a callable: its signature, else its docstring's first lines."""
    import inspect

    obj = _plain_callable(obj)
    if obj is None:
        return []
    try:
        return [f"{name}{inspect.signature(obj)}"]
    except (ValueError, TypeError):
        pass
    # Builtins without a text signature document theirs: "range(stop) -> range object".
    own = getattr(obj, "__name__", None)
    doc = inspect.getdoc(obj) or ""
    lines = []
    for line in doc.splitlines():
        if not own or not isinstance(own, str) or not line.startswith(own + "("):
            break
        lines.append(name + line[len(own):])
    return lines


# Callables whose attributes are plain: inspect.signature reads them without running user code.
_PLAIN_CALLABLES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    types.MethodWrapperType,
    functools.partial,
)


def _plain_callable(obj: Any) -> Any:
    """What to ask ``inspect.signature`` about, or None when that could run user code.

    inspect reads attributes such as ``__signature__`` and ``__wrapped__``; on
    an object with ``__getattr__`` (a lazy proxy) that runs the user's code.
    Such a callable instance is described by its class's ``__call__``.
    """
    if not callable(obj):
        return None
    if is_a(obj, type):
        return obj if _class_attribute(type(obj), "__getattr__") is _MISSING else None
    if is_a(obj, _PLAIN_CALLABLES):
        return obj
    wrapped = _wrapped_in_instance(obj)
    if wrapped is not None:
        return wrapped
    try:
        return _plain_callable(static_attribute(obj, "__call__"))
    except (LookupError, RecursionError):
        return None


def _wrapped_in_instance(obj: Any) -> Any:
    """The plain function a callable instance keeps in its own ``__wrapped__``, if any.

    inspect describes such an object by what it wraps (numpy's functions are
    instances of a C dispatcher type holding the Python function): found in
    the instance's ``__dict__``, reading it runs nothing.  A ``__signature__``
    of its own comes first for inspect: then the instance is left to its class.
    """
    try:
        wrapped = static_attribute(obj, "__wrapped__")
    except (LookupError, RecursionError):
        return None
    try:
        static_attribute(obj, "__signature__")
        return None
    except LookupError:
        pass
    return wrapped if is_a(wrapped, types.FunctionType) else None


def signature_at(text: str, namespace: dict[str, Any]) -> tuple[CallSite | None, list[str]]:
    """The call the cursor is in and its callee's signatures (none if unknown)."""
    site = call_site(text)
    if site is None:
        return None, []
    try:
        obj = resolve(site.callee, namespace)
    except LookupError:
        return site, []
    return site, signatures(obj, site.callee.rsplit(".", 1)[-1])


def doc_text(name: str, namespace: dict[str, Any]) -> str | None:
    """What ``:doc NAME`` shows: the signature, then the docstring; None if no such object."""
    import inspect

    try:
        obj = resolve(name, namespace, modules=True, descriptor=True)
    except LookupError:
        return keyword_doc(name)
    short = name.rsplit(".", 1)[-1]
    if is_a(obj, types.ModuleType):
        header = [f"module {obj.__name__}"]
    else:
        header = signatures(obj, short) or [f"{name}: {type(obj).__name__}"]
    doc = inspect.getdoc(obj)
    return "\n".join(header) + "\n\n" + (doc if doc else "(no docstring)")


def keyword_doc(word: str) -> str | None:
    """What ``help("for")`` shows for a keyword (pydoc's topics); None if not one."""
    import keyword

    if not keyword.iskeyword(word):
        return None
    try:
        with without_user_path():
            import pydoc
            from pydoc_data.topics import topics
    except ImportError:
        return None
    helper = pydoc.Helper
    target: Any = helper.keywords.get(word)
    for _hop in range(5):  # a keyword may point at a topic or another keyword ("as" -> "with")
        if not isinstance(target, str) or not target:
            break
        target = helper.topics.get(target, helper.keywords.get(target))
    if not target:
        return None
    label = target[0]
    return f"keyword {word}\n\n" + topics[label].strip() if label in topics else None
