"""How an input is compiled: codeop's rules, plus top-level ``await`` where plain Python refuses it.

Both processes use it: the kernel's console to compile, the shell's editor to
decide whether an input with ``await`` is complete (plain codeop calls it a
syntax error).  It imports only ``ast`` and ``codeop``.
"""

from __future__ import annotations

import ast
import codeop
from types import CodeType

CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect


class AwaitCompiler:
    """codeop's compiler that allows top-level ``await`` only where plain Python refuses it.

    An input that compiles without the flag gets exactly the code (and the
    errors) it gets in python3; only one that fails is tried again with
    ``PyCF_ALLOW_TOP_LEVEL_AWAIT``.  ``compiler`` is codeop's, whose ``flags``
    remember ``from __future__`` imports across inputs.
    """

    def __init__(self) -> None:
        self.plain = codeop.CommandCompiler()
        self.compiler = self.plain.compiler

    def __call__(self, source: str, filename: str = "<input>",
                 symbol: str = "single") -> CodeType | None:
        try:
            return self.plain(source, filename, symbol)
        except SyntaxError:
            if "await" not in source and "async" not in source:
                raise
            found = self._with_await(source, filename, symbol)
            if found is False:
                raise
            return found  # type: ignore[return-value]

    def _with_await(self, source: str, filename: str, symbol: str) -> CodeType | None | bool:
        """The coroutine code for ``source``, None if incomplete, False if await does not help."""
        retry = codeop.CommandCompiler()
        retry.compiler.flags = self.compiler.flags | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        try:
            found = retry(source, filename, symbol)
        except (SyntaxError, ValueError, OverflowError):
            return False
        if found is not None and not found.co_flags & CO_COROUTINE:
            return False
        # Keep any `from __future__` import it made, without the await flag.
        self.compiler.flags |= retry.compiler.flags & ~ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        return found
