"""Stale values: which session names hold what code a reload has since changed computed.

Each input that binds names leaves a ``Made``: its number in the shell's
record, its source, how long it took, the user functions it ran (its own and
those of the values it read: ``report = fmt(summary)`` inherits what made
``summary``) and, once a reload changes one of them, why it is stale.  A
name's value is the last ``Made`` that bound it; a name rebound by an input
that ran no changed code is fresh again.  Marks stay until the input runs
again (``:rerun``, or a replay in a new kernel, which runs the new code).

The ledger lives in the kernel, with the values: a kernel resumed from a
checkpoint (a restart, an undo) has the marks that were right for its state.
``StaleTracking`` plugs it into the kernel server (one of its hooks).
"""

from __future__ import annotations

import sys
import time
import types

from freshrepl import protocol
from freshrepl.kernel.provenance import (
    CodeKey,
    InputTrace,
    Provenance,
    changed_names,
    is_code_value,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

class StaleTracking:
    """The ledger as the kernel server's plug-in: told of inputs (a hook) and reloads, asked by
    ``:stale``.  A failure of ours ends the tracking with one line, never costs an input."""

    def __init__(self, namespace: dict[str, Any], console: Any, on: bool) -> None:
        self.ledger: StaleLedger | None = None
        self.off = "off (stale_values = false)"
        self._console = console
        self._running: protocol.RunRequest | None = None
        if on:
            try:
                self.ledger = StaleLedger(namespace, Provenance())
            except Exception as exc:  # never seen; the session goes on without it
                self._stop(exc)
            else:
                console.on_code = self.ledger.provenance.arm

    @classmethod
    def plug_into(cls, server: Any) -> StaleTracking:
        """Tracking for a kernel server (``kernel/main.py``): its reloads are watched too."""
        tracking = cls(server.main.__dict__, server.console,
                       server.config.stale_values and server.reloader is not None)
        if tracking.ledger is not None:
            reload = server.reloader.reload

            def reload_and_mark(*args: Any, **kwargs: Any) -> list[protocol.ReloadResult]:
                tracking.before_reload()
                results: list[protocol.ReloadResult] = reload(*args, **kwargs)
                tracking.after_reload(results)
                return results

            server.reloader.reload = reload_and_mark
        return tracking

    def after_start(self, took: float) -> None:
        """The ``-i`` script has run: its functions are the user's (its top level was no input)."""
        if self.ledger is not None:
            namespace = self.ledger.namespace
            script = namespace.get("__file__")
            if isinstance(script, str):
                self._guard(self.ledger.provenance.arm_script, namespace, script)

    def before_run(self, request: protocol.RunRequest) -> None:
        self._running = request
        if self.ledger is not None:
            self._guard(self.ledger.begin, request.position + 1 if request.rerun else None)

    def after_run(self, reply: protocol.RunReply, took: float) -> None:
        request, self._running = self._running, None
        if self.ledger is not None and request is not None:
            reply.kept = self._guard(self.ledger.end, request.position + 1, request.source,
                                     self._console.codes, reply.ok) or []

    def arm(self, code: types.CodeType) -> None:
        if self.ledger is not None:
            self._guard(self.ledger.provenance.arm, code)

    def before_reload(self) -> None:
        if self.ledger is not None:
            self._guard(self.ledger.before_reload)

    def after_reload(self, results: list[protocol.ReloadResult]) -> None:
        if self.ledger is not None:
            self._guard(self.ledger.after_reload, results)

    def report(self) -> protocol.StaleReply:
        if self.ledger is None:
            return protocol.StaleReply(tracking=False, why_off=self.off)
        return self.ledger.report()

    def _guard(self, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except Exception as exc:  # a bug of ours, or user code took our tool id
            self._stop(exc)
            return None

    def _stop(self, exc: Exception) -> None:
        ledger, self.ledger = self.ledger, None
        self.off = f"stopped in this kernel after an error: {exc!r}"
        self._console.on_code = None
        sys.stderr.write(f"freshrepl: stale values are not tracked any more: {exc!r}\n")
        if ledger is not None:
            try:
                ledger.provenance.close()
            except Exception:  # the tool id may be what failed
                pass


# A change: (file, its dotted name, the qualified names of code that is it, the name by which
# functions read it when it is a value, else None).
Change = tuple[str, str, frozenset[str], "str | None"]


class Made:
    """One input, as the maker of the values it bound."""

    __slots__ = ("number", "source", "seconds", "ran", "stale")

    def __init__(self, number: int, source: str, seconds: float) -> None:
        self.number = number  # in the shell's record (from 1; 0: not known)
        self.source = source
        self.seconds = seconds
        # The user functions it ran, by file: qualname -> the names their code refers to.
        # By file, since a reload looks for its own file's (an input that imported a
        # whole project ran thousands of functions; visiting each per reload costs).
        self.ran: dict[str, dict[str, frozenset[str]]] = {}
        self.stale: dict[str, None] = {}  # the changed names that make it stale, in order

    def add_ran(self, ran: dict[CodeKey, frozenset[str]]) -> None:
        for (filename, qualname), names in ran.items():
            self.ran.setdefault(filename, {})[qualname] = names

    def take_ran_of(self, other: Made) -> None:
        for filename, functions in other.ran.items():
            self.ran.setdefault(filename, {}).update(functions)

    def first_line(self) -> str:
        lines = self.source.strip().splitlines()
        return lines[0] + (" …" if len(lines) > 1 else "") if lines else ""


class StaleLedger:
    """The maker of every session value, and which makers ran code that has changed since."""

    def __init__(self, namespace: dict[str, Any], provenance: Provenance) -> None:
        self.namespace = namespace
        self.provenance = provenance
        self.maker: dict[str, Made] = {}
        self._started = 0.0
        self._before_reload: dict[str, Any] = {}
        self._protected: dict[str, tuple[Any, Made]] = {}
        self.deleted: dict[str, Made] = {}  # names an input deleted, by that input
        self._last = 0  # the highest input number noted

    # -- inputs ------------------------------------------------------------------------

    def begin(self, rerun: int | None = None) -> None:
        """An input starts; ``rerun``: it is the record's input of that number, run again."""
        self._protected = {} if rerun is None else self._made_later(rerun)
        self.provenance.begin(self.namespace)
        self._started = time.monotonic()

    def end(self, number: int, source: str, codes: list[types.CodeType], ok: bool) -> list[str]:
        """The input just run (``number`` in the record) made the names it bound.

        Returns the names a rerun bound that a later input had made since: they
        are given their later value back, as a replay of the record would leave them.
        """
        seconds = time.monotonic() - self._started
        self.note(number, source, seconds, self.provenance.end(self.namespace, codes, ok))
        kept = []
        for name, (value, made) in self._protected.items():
            if self.namespace.get(name, _GONE) is not value:
                if value is _GONE:
                    del self.namespace[name]
                else:
                    self.namespace[name] = value
                self._made(name, made)
                kept.append(name)
        self._protected = {}
        return sorted(kept)

    def _made_later(self, number: int) -> dict[str, tuple[Any, Made]]:
        """Fresh values made by inputs after ``number``: a rerun of it must not undo them."""
        later = {name: (self.namespace[name], made) for name, made in self.maker.items()
                 if made.number > number and not made.stale and name in self.namespace}
        later.update((name, (_GONE, made)) for name, made in self.deleted.items()
                     if made.number > number)
        return later

    def note(self, number: int, source: str, seconds: float, trace: InputTrace) -> None:
        made = Made(number, source, seconds)
        self._last = max(self._last, number)
        made.add_ran(trace.ran)
        for name in sorted(trace.reads):
            source_of = self.maker.get(name)
            # What made the value read made this one too; but a rerun reading what its
            # own earlier run bound (``m = f(); m``) reads what it is replacing.
            if source_of is not None and (source_of.number != number or not number):
                made.take_ran_of(source_of)
                made.stale.update(source_of.stale)
        for name in trace.binds:
            if name in trace.same and not trace.ran:
                # The very object it held, and no code of the user's ran to make it: taken
                # from somewhere unchanged (a module's value, ``from m import TABLE``), so
                # whatever made it before still did.
                continue
            self._made(name, made)

    def _made(self, name: str, made: Made) -> None:
        """``made`` bound ``name`` (or deleted it)."""
        if name in self.namespace:
            self.maker[name] = made
            self.deleted.pop(name, None)
        else:
            self.maker.pop(name, None)
            self.deleted[name] = made

    # -- reloads -----------------------------------------------------------------------

    def before_reload(self) -> None:
        self._before_reload = dict(self.namespace)

    def after_reload(self, results: list[protocol.ReloadResult]) -> None:
        """Mark the makers that ran changed code; each reloaded result gets its stale names.

        Names the reload itself bound again (``from m import LIMIT`` following the
        file, a value a deep reload computed again) hold what the new code made.
        """
        before, self._before_reload = self._before_reload, {}
        self.provenance.arm_reloaded(results)
        if any(result.status == protocol.RELOADED for result in results):
            fresh = Made(self._last, "", 0.0)  # made after the inputs so far
            for name in changed_names(before, self.namespace) if before else ():
                self._made(name, fresh)
        for result in results:
            if result.status != protocol.RELOADED or not result.changed_names:
                continue
            changes = _changes(result)
            hit: set[int] = set()
            for made in set(self.maker.values()):
                found = _hits(made.ran, changes)
                if found:
                    made.stale.update(dict.fromkeys(found))
                    hit.add(id(made))
            result.stale = [n for n, m in self._live_items() if id(m) in hit]
            result.stale_exact = self.provenance.exact

    # -- what the shell asks ------------------------------------------------------------

    def _live_items(self) -> list[tuple[str, Made]]:
        """Names whose value is data (code is kept fresh in place), by record order."""
        items = [(n, m) for n, m in self.maker.items()
                 if n in self.namespace and not is_code_value(self.namespace[n])]
        return sorted(items, key=lambda item: (item[1].number, item[0]))

    def report(self) -> protocol.StaleReply:
        """Every stale name with its maker; the makers to run again, in record order."""
        values, inputs = [], {}
        for name, made in self._live_items():
            if made.stale:
                values.append(protocol.StaleValue(name, made.number, made.first_line(),
                                                  list(made.stale)))
                inputs[id(made)] = made
        plan = sorted(inputs.values(), key=lambda m: m.number)
        return protocol.StaleReply(
            tracking=True, exact=self.provenance.exact, values=values,
            inputs=[protocol.StaleInput(m.number, m.source, m.first_line(), m.seconds)
                    for m in plan],
        )


def _changes(result: protocol.ReloadResult) -> list[Change]:
    module = sys.modules.get(result.module)
    if result.module == "__main__" or module is None:
        module = sys.modules.get("__main__")
    return [_change(result.path, module, name) for name in result.changed_names]


def _change(path: str, module: object, dotted: str) -> Change:
    """What code that ran must match to have run ``dotted`` (see ``_hits``)."""
    value: object = module
    for part in dotted.split("."):
        value = _member(value, part)
    if value is not _GONE and not is_code_value(value):
        return (path, dotted, frozenset({dotted}), dotted.rpartition(".")[2])  # a value
    qualnames = {dotted}
    code = getattr(getattr(value, "__func__", value), "__code__", None)
    if isinstance(code, types.CodeType) and code.co_name == "<lambda>":
        # A lambda's code is named "<lambda>", not after the name it is bound to:
        # any lambda of the file may be it.
        qualnames.add(getattr(code, "co_qualname", "<lambda>"))
    return (path, dotted, frozenset(qualnames), None)


def _member(owner: object, name: str) -> object:
    """``owner.name`` from the module's or classes' own dicts (no descriptor, no user code)."""
    if type(owner) is types.ModuleType:
        return owner.__dict__.get(name, _GONE)
    if issubclass(type(owner), type):  # isinstance would ask a proxy's __class__
        for klass in owner.__mro__:  # type: ignore[attr-defined]
            if name in klass.__dict__:
                return klass.__dict__[name]
    return _GONE


_GONE = object()


def _hits(ran: dict[str, dict[str, frozenset[str]]], changes: list[Change]) -> list[str]:
    """The changed names that ``ran`` (file: qualname: names) ran: the function itself or code
    nested in it, or, for a changed value (``LIMIT = 20``, ``Stats.SCALE = 3``), a function
    of that file that refers to it by name."""
    found = []
    for path, dotted, qualnames, value_name in changes:
        for qualname, names in ran.get(path, {}).items():
            if (qualname in qualnames or any(qualname.startswith(q + ".") for q in qualnames)
                    or (value_name is not None and value_name in names)):
                found.append(dotted)
                break
    return found
