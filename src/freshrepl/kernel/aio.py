"""The one asyncio event loop of a session: top-level ``await`` and inputs that need a running loop.

An input with a top-level ``await`` runs as a coroutine on the loop, which
lives across inputs (as in IPython, it runs only while an input awaits): a
task created in one input can be awaited in a later one.  The loop is also
the thread's current event loop, so ``asyncio.get_event_loop()`` in ordinary
code finds it.  An input without ``await`` that calls ``asyncio.create_task``
(or another function that needs a running loop) also runs on the loop,
unless it also starts a loop of its own (``asyncio.run``,
``run_until_complete``), which it could not do on a running one.

asyncio is imported only when the first such input runs.
"""

from __future__ import annotations

import ast
import sys
import types
import warnings
from types import CodeType, TracebackType

from freshrepl.compiler import CO_COROUTINE
from freshrepl.kernel.imports import without_user_path

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

# Functions of asyncio that fail unless a loop is running in this thread.
_NEED_RUNNING_LOOP = frozenset({"create_task", "get_running_loop", "current_task", "all_tasks"})
# Functions that start a loop themselves and fail on a running one.
_START_A_LOOP = frozenset({"run", "run_until_complete", "run_forever", "Runner"})


class AsyncRunner:
    """Runs inputs on the session's event loop, created lazily."""

    def __init__(self) -> None:
        self._loop: Any = None

    def loop(self) -> Any:
        """The thread's current event loop (made current again if ``asyncio.run`` unset it)."""
        with without_user_path():
            import asyncio

        with warnings.catch_warnings():
            # 3.12+ warns when get_event_loop() has to make a loop; ours is meant.
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                current = asyncio.get_event_loop_policy().get_event_loop()
            except RuntimeError:  # asyncio.run() left the thread without one
                current = None
        if current is None or current.is_closed():
            current = self._loop
            if current is None or current.is_closed():
                current = asyncio.new_event_loop()
            asyncio.set_event_loop(current)
        self._loop = current
        return current

    def wants_loop(self, source: str, namespace: dict[str, Any]) -> bool:
        """Does this input (without ``await``) call asyncio functions that need a running loop?"""
        if not any(name in source for name in _NEED_RUNNING_LOOP):
            return False
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return False
        called = {_called_name(node, namespace) for node in _top_level_calls(tree)}
        return bool(called & _NEED_RUNNING_LOOP) and not called & _START_A_LOOP

    def run(self, code: CodeType, namespace: dict[str, Any]) -> None:
        """Run a compiled input on the loop; Ctrl-C cancels it and raises KeyboardInterrupt."""
        loop = self.loop()
        if code.co_flags & CO_COROUTINE:
            coro = types.FunctionType(code, namespace)()
        else:
            coro = _exec_on_loop(code, namespace)
        task = loop.create_task(coro)
        try:
            loop.run_until_complete(task)
        except KeyboardInterrupt as interrupt:
            if task.done():  # raised inside the input's own code: its traceback says where
                raise
            where = _suspended_at(coro)
            _cancel(loop, task)
            raise KeyboardInterrupt(*interrupt.args).with_traceback(where) from None
        finally:
            if task.done() and not task.cancelled():
                task.exception()  # seen: no "exception was never retrieved" log later


async def _exec_on_loop(code: CodeType, namespace: dict[str, Any]) -> None:
    exec(code, namespace)


def _cancel(loop: Any, task: Any) -> None:
    """Cancel the input's task and let it clean up (its ``finally`` blocks run)."""
    task.cancel()
    try:
        loop.run_until_complete(task)
    except BaseException:  # the expected CancelledError, or a second Ctrl-C: stop waiting
        pass


def _suspended_at(coro: Any) -> TracebackType | None:
    """A traceback through the chain of coroutines the input is waiting in."""
    frames = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    tb = None
    for frame in reversed(frames):
        tb = TracebackType(tb, frame, frame.f_lasti, frame.f_lineno)
    return tb


def _top_level_calls(tree: ast.AST) -> list[ast.Call]:
    """The calls the input makes now (not those inside functions it defines)."""
    calls = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call):
            calls.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                todo.append(child)
    return calls


def _called_name(call: ast.Call, namespace: dict[str, Any]) -> str | None:
    """``create_task`` for ``asyncio.create_task(...)`` or an imported ``create_task(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        # loop.run_until_complete(...) counts whatever the object: it starts a loop.
        if func.attr in _START_A_LOOP:
            return func.attr
        if isinstance(func.value, ast.Name) and func.value.id == "asyncio":
            return func.attr
        return None
    if isinstance(func, ast.Name):
        asyncio = sys.modules.get("asyncio")
        value = namespace.get(func.id)
        if asyncio is not None and value is not None and value is getattr(asyncio, func.id, None):
            return func.id
    return None
