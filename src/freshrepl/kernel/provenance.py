"""Provenance of one input: which user functions it ran, and which session names it bound and read.

What ran is known one of two ways, chosen by what the interpreter offers:

- ``MonitoringRecorder`` (interpreters with ``sys.monitoring``): a ``PY_START``
  callback on a free tool id, set on the user's functions only, notes each as
  it starts and returns ``DISABLE``: a function costs one call per input
  however often it runs, and code outside the user's files is never
  instrumented.  ``restart_events()`` at the start of each input arms them
  again.  Exact: what ran, ran.
- ``StaticReader`` (no ``sys.monitoring``): the names the input's code
  refers to, resolved through the namespace to user functions, classes,
  instances and modules, and transitively what those refer to.  It can name
  functions that did not run (never miss one that a name leads to), so what
  it finds *may* be stale.

Names bound by an input are those whose value changed identity in the
namespace (``global`` in a function, ``exec`` included), plus, when it ran
to the end, the names its own code stores.  Names read are the
``LOAD_NAME``/``LOAD_GLOBAL`` names of its code (comprehensions and class
bodies, which run with it, included) and
of functions typed at the prompt that it called: their reads happen when
they run, not when they are defined.  Names read whose value is code (a
function, class, module) are left out: code is kept fresh in place by the
reload engine, so it passes nothing stale on.
"""

from __future__ import annotations

import gc
import sys
import types
import weakref
from collections.abc import Iterable
from itertools import compress, starmap
from operator import is_not

from freshrepl.reload.hook import code_listeners
from freshrepl.reload.userfiles import is_user_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# (file, qualified name) of a user function: what a reload's changed names are matched with.
CodeKey = tuple[str, str]

# Code flags (from the inspect module, which costs start-up time to import).
CO_OPTIMIZED = 0x0001
# Comprehensions run as part of the code that contains them (before PEP 709 as code of their own).
_INLINE_CODE = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})
_LOADS = frozenset({"LOAD_NAME", "LOAD_GLOBAL", "LOAD_FROM_DICT_OR_GLOBALS"})
_STORES = frozenset({"STORE_NAME", "STORE_GLOBAL", "DELETE_NAME", "DELETE_GLOBAL"})
# How a code object's file is classified.
_OTHER, _USER, _PROMPT = 0, 1, 2
# Tool ids without a meaning of their own (3, 4) first; then any other that is free.
_TOOL_PREFERENCE = (3, 4, 2, 1, 0, 5)
_MISSING = object()


class InputTrace:
    """What one input did, as far as staleness is concerned."""

    __slots__ = ("ran", "reads", "binds", "same", "exact")

    def __init__(self, ran: dict[CodeKey, frozenset[str]], reads: set[str], binds: set[str],
                 exact: bool, same: set[str] | None = None) -> None:
        self.ran = ran  # user functions it ran: key -> the names their code refers to
        self.reads = reads  # session names whose (non-code) values it read
        self.binds = binds  # session names it bound, rebound or deleted
        self.same = same or set()  # of those, the ones stored again with the very same value
        self.exact = exact  # ran is what ran (False: what its names may lead to)


def monitoring_available() -> bool:
    """Does this interpreter offer what ``MonitoringRecorder`` needs?"""
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and all(hasattr(monitoring, name) for name in (
        "restart_events", "DISABLE", "use_tool_id", "set_local_events", "register_callback"))


def prompt_file(filename: str) -> bool:
    """Code typed at the prompt (python3 names it ``<stdin>``; 3.13 ``<python-input-N>``)."""
    return filename == "<stdin>" or filename.startswith("<python-input-")


class _Classifier:
    """Which code is the user's, per file name, remembered."""

    def __init__(self) -> None:
        self.kinds: dict[str, int] = {}

    def kind(self, filename: str) -> int:
        kind = self.kinds.get(filename)
        if kind is None:
            kind = _PROMPT if prompt_file(filename) else _USER if is_user_file(filename) else _OTHER
            self.kinds[filename] = kind
        return kind


class MonitoringRecorder:
    """The user code objects that start while an input runs (``sys.monitoring``, PY_START).

    Only the user's functions carry the event (``set_local_events``), armed as
    their code comes to be: a user module's code before it runs (the import
    hook tells), a reloaded module's functions after the reload, and functions
    typed at the prompt before their input runs.  Code outside the user's
    modules is never instrumented, so it costs nothing.  The callback returns
    ``DISABLE``: a function costs one call per input however often it runs,
    and ``restart_events()`` at the start of each input arms them again.
    """

    exact = True

    def __init__(self, classifier: _Classifier) -> None:
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        self._monitoring = monitoring
        self.tool = _free_tool(monitoring)
        monitoring.use_tool_id(self.tool, "freshrepl")
        self._event = monitoring.events.PY_START
        self._armed: weakref.WeakValueDictionary[int, types.CodeType] = weakref.WeakValueDictionary()
        self.user: set[types.CodeType] = set()
        self.prompt: set[types.CodeType] = set()
        self.recording = [False]
        kinds, kind_of, disable = classifier.kinds, classifier.kind, monitoring.DISABLE
        user, prompt, recording = self.user, self.prompt, self.recording

        # Runs once per armed code object per input: as little as possible.
        def on_start(code: types.CodeType, offset: int) -> object:
            if recording[0]:  # between inputs (a reload running user code) nothing counts
                kind = kinds.get(code.co_filename)
                if kind is None:
                    kind = kind_of(code.co_filename)
                (user if kind == _USER else prompt).add(code)
            return disable

        monitoring.register_callback(self.tool, self._event, on_start)

    def arm(self, code: types.CodeType) -> None:
        """Give the functions in ``code`` (and nested in them) the event; never raises."""
        todo = [code]
        while todo:
            current = todo.pop()
            todo.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
            if current.co_flags & CO_OPTIMIZED and id(current) not in self._armed:
                try:
                    self._monitoring.set_local_events(self.tool, current, self._event)
                except (ValueError, TypeError):
                    continue
                self._armed[id(current)] = current

    def arm_module(self, code: types.CodeType) -> None:
        self.arm(code)

    def arm_namespace(self, namespace: dict[str, Any], filename: str) -> None:
        """Arm every function of ``filename`` reachable from a module's namespace (after a
        reload has given them new code): functions, classes' members, wrapped ones."""
        seen: set[int] = set()
        todo = list(namespace.values())
        while todo:
            value = todo.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            kind = type(value)
            if kind is types.FunctionType:
                if value.__code__.co_filename == filename:
                    self.arm(value.__code__)
                todo.extend(cell.cell_contents for cell in value.__closure__ or ()
                            if _filled(cell))
                todo.append(value.__dict__.get("__wrapped__"))
            elif kind in (staticmethod, classmethod):
                todo.append(value.__func__)
            elif kind is property:
                todo.extend((value.fget, value.fset, value.fdel))
            elif issubclass(kind, type) and value.__dict__.get("__module__") == namespace.get(
                    "__name__"):
                todo.extend(value.__dict__.values())
            elif kind in (list, tuple, set, frozenset):  # a table of handlers, lambdas
                todo.extend(value)
            elif kind is dict:
                todo.extend(dict.values(value))

    def start(self) -> None:
        self.user.clear()
        self.prompt.clear()
        self.recording[0] = True
        self._monitoring.restart_events()

    def stop(self, namespace: dict[str, Any], codes: list[types.CodeType]
             ) -> tuple[dict[CodeKey, frozenset[str]], set[types.CodeType]]:
        """The user functions that ran (key -> names) and the prompt code that ran."""
        self.recording[0] = False
        ran = {(c.co_filename, c.co_qualname): frozenset(c.co_names)  # type: ignore[attr-defined,unused-ignore]
               for c in self.user if c.co_flags & CO_OPTIMIZED}  # functions, not module bodies
        return ran, set(self.prompt)

    def close(self) -> None:
        self.recording[0] = False
        for code in list(self._armed.values()):
            self._monitoring.set_local_events(self.tool, code, 0)
        self._monitoring.register_callback(self.tool, self._event, None)
        self._monitoring.free_tool_id(self.tool)


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:  # an empty cell
        return False
    return True


def _free_tool(monitoring: Any) -> int:
    for tool in _TOOL_PREFERENCE:
        if monitoring.get_tool(tool) is None:
            return tool
    raise LookupError("every sys.monitoring tool id is taken")


class StaticReader:
    """The user functions an input's names lead to, read without running anything."""

    exact = False

    def __init__(self, classifier: _Classifier) -> None:
        self._kind = classifier.kind
        self._imported: list[types.CodeType] = []  # user modules' code run by this input
        self._recording = False

    def arm(self, code: types.CodeType) -> None:
        pass  # nothing is recorded: the code is read when an input has run

    def arm_module(self, code: types.CodeType) -> None:
        """A user module's code about to run: if an input imports it, its top level is read too."""
        if self._recording:
            self._imported.append(code)

    def arm_namespace(self, namespace: dict[str, Any], filename: str) -> None:
        pass

    def start(self) -> None:
        self._imported.clear()
        self._recording = True

    def stop(self, namespace: dict[str, Any], codes: list[types.CodeType]
             ) -> tuple[dict[CodeKey, frozenset[str]], set[types.CodeType]]:
        self._recording = False
        walk = _Reach(self._kind)
        for code in codes:
            walk.code(code, namespace)
        for code, module_namespace in _namespaces_of(self._imported):
            walk.top_level(code, module_namespace)  # what it ran while imported (TABLE = build())
        self._imported.clear()
        walk.run()
        return walk.ran, walk.prompt

    def close(self) -> None:
        pass


class _Reach:
    """A fixpoint over names: from code to the values its names hold, and on to their code."""

    def __init__(self, kind: Any) -> None:
        self._kind = kind
        self.ran: dict[CodeKey, frozenset[str]] = {}
        self.prompt: set[types.CodeType] = set()
        self._names: set[str] = set()  # every name the code found so far refers to
        self._todo: list[tuple[types.CodeType, dict[str, Any]]] = []
        self._seen: set[int] = set()
        self._holders: list[Any] = []  # user classes and modules: members looked up by name
        self._classes: set[int] = set()  # ids of the classes looked at
        self._user_classes: set[int] = set()  # ids of those that are the user's
        self._library_budget = _LIBRARY_BUDGET  # objects inside library objects left to look at

    def code(self, code: types.CodeType, namespace: dict[str, Any]) -> None:
        self._todo.append((code, namespace))

    def top_level(self, code: types.CodeType, namespace: dict[str, Any]) -> None:
        """A module body: the names it reads as it runs (not those of the functions it defines)."""
        reads = loads_and_stores(code)[0]
        self._names |= reads
        for name in reads:
            self._value(namespace.get(name, _MISSING))

    def run(self) -> None:
        while True:
            while self._todo:
                code, namespace = self._todo.pop()
                names = all_names(code)
                self._names |= names
                for name in names:
                    self._value(namespace.get(name, _MISSING))
            # Members of the classes and modules found, by the names found: until nothing new.
            visited = len(self._seen) + len(self._holders)
            for holder in list(self._holders):
                self._members(holder)
            if not self._todo and len(self._seen) + len(self._holders) == visited:
                return

    def _members(self, holder: Any) -> None:
        is_class = isinstance(holder, type)
        # Of a class, its own and its user bases' members (a library base's are not user code).
        owners = [k for k in holder.__mro__ if id(k) in self._user_classes] if is_class else [holder]
        for owner in owners:
            for name, member in list(vars(owner).items()):
                # Special methods run without their names being written (``Stats(df)``).
                if name in self._names or (is_class and name[:2] == "__" == name[-2:]):
                    self._value(member)

    def _value(self, value: Any) -> None:
        # type() and the objects' own dicts only: a proxy's __class__, __getattr__ or
        # __iter__ is user code, and reading provenance must run none.
        if value is _MISSING or value is None or id(value) in self._seen:
            return
        self._seen.add(id(value))
        kind = type(value)
        if kind is types.FunctionType:
            self._function(value)
            self._value(value.__dict__.get("__wrapped__"))  # functools.wraps
        elif kind in (staticmethod, classmethod, types.MethodType):
            self._value(value.__func__)
            if kind is types.MethodType:
                self._class(type(value.__self__))
        elif kind is property:
            for accessor in (value.fget, value.fset, value.fdel):
                self._value(accessor)
        elif kind is types.ModuleType:
            if self._kind(value.__dict__.get("__file__") or "") == _USER:
                self._holders.append(value)
        elif issubclass(kind, type):
            self._class(value)
        elif kind in (list, tuple, set, frozenset, dict):
            items = dict.values(value) if kind is dict else value
            for item in _first(items, 8):  # the kinds of things a container holds
                self._class(item if issubclass(type(item), type) else type(item))
        else:
            self._class(kind)
            if id(kind) not in self._user_classes:
                self._held_by_library(value)

    def _held_by_library(self, value: Any) -> None:
        """The user code a library's object holds (a test client's app's view functions).

        Its references are followed in C (``gc.get_referents``: no attribute
        lookup, so no user code runs) through containers and other library
        objects, breadth first, up to ``_LIBRARY_BUDGET`` references per input;
        a container bigger than that is data, not a registry, and is not opened.
        """
        queue, at = [value], 0
        while at < len(queue) and self._library_budget > 0:
            for ref in gc.get_referents(queue[at]):
                self._library_budget -= 1
                if self._library_budget < 0:
                    return
                kind = type(ref)
                if kind in _CODE_KINDS or issubclass(kind, type):
                    self._value(ref)
                elif kind not in _ATOMS and id(ref) not in self._seen and not _big(ref, kind):
                    self._seen.add(id(ref))
                    self._class(kind)
                    queue.append(ref)
            at += 1

    def _function(self, fn: types.FunctionType) -> None:
        code = fn.__code__
        kind = self._kind(code.co_filename)
        if kind == _USER:
            self.ran[(code.co_filename, fn.__qualname__)] = frozenset(code.co_names)
        elif kind == _PROMPT:
            self.prompt.add(code)
        else:
            return
        self._todo.append((code, fn.__globals__))
        for cell in fn.__closure__ or ():  # what a wrapper calls comes from its closure
            try:
                self._value(cell.cell_contents)
            except ValueError:  # an empty cell
                pass

    def _class(self, cls: type) -> None:
        if id(cls) in self._classes:
            return
        self._classes.add(id(cls))
        for base in cls.__mro__[1:-1]:
            self._class(base)
        name = cls.__dict__.get("__module__")
        module = sys.modules.get(name) if isinstance(name, str) else None
        filename = module.__dict__.get("__file__") if module is not None else None
        if name == "__main__" or self._kind(filename or "") == _USER:
            self._holders.append(cls)
            self._user_classes.add(id(cls))


def _namespaces_of(codes: list[types.CodeType]) -> list[tuple[types.CodeType, dict[str, Any]]]:
    """Each module code with the namespace of the module it made (found by file)."""
    if not codes:
        return []
    files = {code.co_filename: code for code in codes}
    found = []
    for module in list(sys.modules.values()):
        if type(module) is types.ModuleType and module.__dict__.get("__file__") in files:
            found.append((files[module.__dict__["__file__"]], module.__dict__))
    return found


# Reading what a library object holds stops after this many references (well under 1 ms).
_LIBRARY_BUDGET = 2000
# Followed as code; the rest of what a library object holds is looked through, but these hold nothing.
_CODE_KINDS = (types.FunctionType, types.MethodType, staticmethod, classmethod, property,
               types.ModuleType)
_ATOMS = frozenset({str, bytes, int, float, bool, complex, type(None), types.CodeType})


def _big(ref: Any, kind: type) -> bool:
    return kind in (list, tuple, set, frozenset, dict) and len(ref) > _LIBRARY_BUDGET


def _first(items: Iterable[Any], count: int) -> list[Any]:
    found: list[Any] = []
    for item in items:
        if len(found) == count:
            break
        found.append(item)
    return found


def all_names(code: types.CodeType) -> set[str]:
    """Every name ``code`` and the code nested in it refer to (globals, attributes)."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= all_names(const)
    return names


def loads_and_stores(code: types.CodeType, nested: bool = False) -> tuple[set[str], set[str]]:
    """The global names ``code`` reads and those it stores at its own level.

    ``nested``: also the code of functions defined inside (what a call of a
    prompt function may read); otherwise only code that runs with it
    (comprehensions, class bodies).
    """
    dis = sys.modules.get("dis")
    reads: set[str] = set()
    stores: set[str] = set()
    if dis is None:
        # dis loads once the kernel is idle: an input typed at once does not wait
        # for it.  Every name then counts as read, none as stored (stores are
        # then known by the values that changed), which errs on the safe side.
        reads.update(code.co_names)
    else:
        for instruction in dis.get_instructions(code):
            if instruction.opname in _LOADS:
                reads.add(instruction.argval)
            elif instruction.opname in _STORES:
                stores.add(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and (
                nested or const.co_name in _INLINE_CODE or not const.co_flags & CO_OPTIMIZED):
            reads |= loads_and_stores(const, nested)[0]
    return reads, stores


_CODE_TYPES = (types.FunctionType, type, types.ModuleType, types.MethodType,
               types.BuiltinFunctionType, staticmethod, classmethod, property)


def changed_names(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Names bound to another object, added or deleted between two states of a namespace.

    Rebinding keeps a name's place in a dict and new names come last, so
    usually the old keys are the new ones' start: the values are then compared
    in C, pairwise (a few µs for thousands of names).
    """
    old_keys = list(before)
    new_keys = list(after)
    if new_keys[:len(old_keys)] == old_keys:
        same_place = zip(before.values(), after.values(), strict=False)  # after may be longer
        changed = set(compress(old_keys, starmap(is_not, same_place)))
        changed.update(new_keys[len(old_keys):])
        return changed
    changed = {n for n, v in after.items() if before.get(n, _MISSING) is not v}
    return changed | (before.keys() - after.keys())


def is_code_value(value: object) -> bool:
    """Values the reload engine keeps fresh in place: never stale, never passing staleness on.

    By the value's real type: ``isinstance`` would ask a proxy's ``__class__`` (user code).
    """
    return issubclass(type(value), _CODE_TYPES)


class Provenance:
    """Traces inputs one at a time: ``begin`` before it runs, ``end`` after."""

    def __init__(self, use_monitoring: bool | None = None) -> None:
        classifier = _Classifier()
        if use_monitoring is None:
            use_monitoring = monitoring_available()
        self.recorder: MonitoringRecorder | StaticReader
        self.why_static = ""
        if use_monitoring:
            try:
                self.recorder = MonitoringRecorder(classifier)
            except (LookupError, ValueError) as exc:  # every tool id taken
                self.why_static = str(exc)
                self.recorder = StaticReader(classifier)
        else:
            self.why_static = "this Python has no sys.monitoring (or not all of it)"
            self.recorder = StaticReader(classifier)
        self._before: dict[str, Any] = {}
        code_listeners.append(self._arm_module)

    @property
    def exact(self) -> bool:
        return self.recorder.exact

    def _arm_module(self, code: types.CodeType) -> None:
        """A user module's code, about to run: its functions get the event first (read
        statically: an input's import of it is noted)."""
        try:
            self.recorder.arm_module(code)
        except Exception:  # never the user's import's failure
            pass

    def arm(self, code: types.CodeType) -> None:
        """Code about to run outside an import (an input, the ``-i`` script): arm its functions."""
        self.recorder.arm(code)

    def arm_script(self, namespace: dict[str, Any], path: str) -> None:
        """The ``-i`` script's functions, once it has run (its own compile, not an import)."""
        self.recorder.arm_namespace(namespace, path)

    def arm_reloaded(self, results: list[Any]) -> None:
        """After a reload: the functions of each reloaded module have new code to arm."""
        for result in results:
            module = sys.modules.get("__main__" if result.module == "__main__" else result.module)
            if result.status == "reloaded" and type(module) is types.ModuleType:
                self.recorder.arm_namespace(module.__dict__, result.path)

    def begin(self, namespace: dict[str, Any]) -> None:
        self._before = dict(namespace)
        self.recorder.start()

    def end(self, namespace: dict[str, Any], codes: list[types.CodeType], ok: bool) -> InputTrace:
        """What the input that just ran did; ``codes``: its compiled code objects.

        The names its code stores count as bound only when it ran to the end (a
        value may be the very object it was: a small int): a failed input stopped
        before some of them.
        """
        ran, prompt_code = self.recorder.stop(namespace, codes)
        before, self._before = self._before, {}
        reads: set[str] = set()
        stores: set[str] = set()
        for code in codes:
            code_reads, code_stores = loads_and_stores(code)
            reads |= code_reads
            stores |= code_stores
        for code in prompt_code:
            reads |= loads_and_stores(code, nested=True)[0]
        binds = changed_names(before, namespace)
        same = (stores - binds) if ok else set()
        data_reads = {n for n in reads
                      if n in before and not is_code_value(before[n])}
        return InputTrace(ran, data_reads, binds | same, self.recorder.exact, same)

    def close(self) -> None:
        if self._arm_module in code_listeners:
            code_listeners.remove(self._arm_module)
        self.recorder.close()
