"""Signature help and docstrings from the live kernel, for the toolbar, F1 and ``:doc``.

The editor only needs two callables, ``signature(expression) -> str | None``
and ``doc(name) -> str | None``; ``KernelHelp`` provides them over the kernel
client.  ``callee_at`` finds what the cursor is inside a call of, and
``SignatureLookup`` asks in a background thread, so typing never waits on the
kernel.
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from freshrepl.source_text import HELP_TEXT_LIMIT, help_context, string_end

if TYPE_CHECKING:
    from freshrepl.shell.kernel_client import KernelClient
    from freshrepl.shell.supervisor import KernelSupervisor

_Reply = TypeVar("_Reply")

# Typing must never wait for this: a busy or starting kernel gives no toolbar.
SIGNATURE_TIMEOUT = 0.5
# Asked for on purpose (F1, :doc): worth waiting a little longer.
DOC_TIMEOUT = 3.0

_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


class KernelHelp:
    """Signatures and docstrings asked of the current kernel (it changes on restart)."""

    def __init__(self, supervisor: KernelSupervisor) -> None:
        self._supervisor = supervisor

    def signature(self, expression: str) -> str | None:
        """``name(params)`` for the callable ``expression`` names (several joined by ``  |  ``).

        Raises ``Superseded`` when the request gave way to another (nothing is known then).
        """
        reply = self._ask(lambda client: client.signature(expression + "(", SIGNATURE_TIMEOUT))
        return "  |  ".join(reply.signatures) or None if reply is not None else None

    def doc(self, name: str) -> str | None:
        """The signature and docstring of ``name``, or None if the kernel has no such name."""
        reply = self._ask(lambda client: client.doc(name, DOC_TIMEOUT))
        return reply.text or None if reply is not None and reply.found else None

    def _ask(self, request: Callable[[KernelClient], _Reply]) -> _Reply | None:
        from freshrepl.shell.kernel_client import KernelDied, KernelError
        from freshrepl.shell.request_gate import Superseded

        if self._supervisor.dead:
            return None
        try:
            return request(self._supervisor.client)
        except Superseded:
            raise
        except (KernelDied, KernelError, TimeoutError, OSError):
            return None  # a busy, dead or starting kernel: no help now
        except Exception as exc:  # a bug of ours: logged, never a traceback over the prompt
            from freshrepl.shell.crashlog import log_crash

            log_crash(exc)
            return None


def callee_at(source: str) -> str | None:
    """The dotted name called by the innermost open ``(`` in ``source`` (text before the cursor).

    ``os.path.join(a, [b`` gives ``os.path.join``; brackets inside strings and
    comments do not count; ``def f(``, ``if (`` and ``x[0](`` give None, and so
    does a line too long to read (see ``help_context``).
    """
    context = help_context(source)
    if context is None:
        return None
    source = context
    opens = _open_brackets(source)
    calls = [i for i in opens if source[i] == "("]
    if not calls:
        return None
    before = source[: calls[-1]].rstrip()
    start = len(before)
    while start > 0 and before[start - 1] in _IDENTIFIER_CHARS:
        start -= 1
    name = before[start:]
    if not name or name[0].isdigit() or name.startswith(".") or name.endswith(".") or ".." in name:
        return None
    if keyword.iskeyword(name.split(".")[0]):
        return None
    if before[:start].rstrip().rsplit(None, 1)[-1:] in (["def"], ["class"]):
        return None
    return name


def name_at(source: str, cursor: int) -> str | None:
    """The dotted name under (or just before) the cursor, else the call it is inside.

    A run of name characters longer than ``HELP_TEXT_LIMIT`` (a pasted blob) is no name.
    """
    start = end = cursor
    lowest, highest = max(0, cursor - HELP_TEXT_LIMIT), min(len(source), cursor + HELP_TEXT_LIMIT)
    while start > lowest and source[start - 1] in _IDENTIFIER_CHARS:
        start -= 1
    while end < highest and source[end] in _IDENTIFIER_CHARS:
        end += 1
    name = source[start:end].strip(".")
    whole = (start == 0 or source[start - 1] not in _IDENTIFIER_CHARS) and (
        end == len(source) or source[end] not in _IDENTIFIER_CHARS)
    if name and whole and not name[0].isdigit():
        return name
    return callee_at(source[:cursor])


def _open_brackets(source: str) -> list[int]:
    """Positions of the brackets still open at the end of ``source``."""
    stack: list[int] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "#":
            newline = source.find("\n", i)
            i = n if newline < 0 else newline
        elif char in "'\"":
            i = _string_end(source, i)
        elif char in "([{":
            stack.append(i)
        elif char in ")]}" and stack:
            stack.pop()
        i += 1
    return stack


def _string_end(source: str, i: int) -> int:
    """Index of the last character of the string starting at ``i`` (or the end of source)."""
    end = string_end(source, i)
    return len(source) if end is None else end - 1


class SignatureLookup:
    """The signature for the call at the cursor, fetched in the background and cached.

    ``get(expression)`` answers at once from the cache; on a miss it starts
    one worker, which fetches the latest expression asked for and calls
    ``on_ready`` (from its thread) so the editor redraws.  ``forget()`` empties
    the cache: between inputs, code may have rebound the names.
    """

    def __init__(self, fetch: Callable[[str], str | None], on_ready: Callable[[], None]) -> None:
        self._fetch = fetch
        self._on_ready = on_ready
        self._cache: dict[str, str | None] = {}
        self._wanted: str | None = None
        self._busy = False
        self._lock = threading.Lock()

    def get(self, expression: str | None) -> str | None:
        if expression is None:
            return None
        with self._lock:
            if expression in self._cache:
                return self._cache[expression]
            self._wanted = expression
            if self._busy:
                return None
            self._busy = True
        threading.Thread(target=self._work, name="freshrepl-signature", daemon=True).start()
        return None

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _work(self) -> None:
        while True:
            with self._lock:
                expression = self._wanted
                if expression is None or expression in self._cache:
                    self._busy = False
                    return
            try:
                answer = self._fetch(expression)
            except TimeoutError:  # it gave way (Superseded): nothing learnt, asked again when shown
                with self._lock:
                    self._busy = False
                return
            with self._lock:
                self._cache[expression] = answer
            self._on_ready()
