"""Resuming a checkpoint with the code on disk now: its changed files reloaded in it, or the checkpoint void.

A checkpoint holds the user modules as they were when it was taken.  Files
edited since are reloaded in the resumed kernel, by the same engine and rules
as a live reload, before anything is replayed; when every change applies
there, the checkpoint serves.  A change that is unsafe there, fails there, or
a file deleted since, makes it void: the resumed kernel is killed, the
checkpoint is marked void for those files as they are (``Checkpoint.found``),
and the next older one is tried, else a fresh kernel.  ``try_checkpoints``
finds the same verdicts ahead of time for ``:checkpoints``, in throwaway
kernels whose output goes to the null device.
"""

from __future__ import annotations

import os

from freshrepl import protocol
from freshrepl.shell.checkpoint_store import void_lines
from freshrepl.shell.kernel_client import KernelClient, KernelDied, KernelError

TYPE_CHECKING = False  # typing loads after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    from collections.abc import Callable

    from freshrepl.shell.checkpoint_store import Checkpoint, CheckpointStore, Choice
    from freshrepl.shell.options import Options

_VOIDING = (protocol.UNSAFE, protocol.FAILED, protocol.DELETED)


def resume_best(client: KernelClient, store: CheckpointStore, limit: int,
                say: Callable[[str], None],
                on_modules: Callable[[protocol.ModuleDelta], None]) -> tuple[int, list[str]] | None:
    """Resume the best checkpoint at or before ``limit`` into ``client``, its changes reloaded.

    Returns its position and the files reloaded in it; None when there is
    none (``client`` has no kernel then, and ``say`` was told why).
    """
    failed = None
    while True:
        choice = store.choose(limit)
        checkpoint = choice.checkpoint
        if checkpoint is None:
            break
        try:
            client.resume(checkpoint.control)
        except KernelDied as exc:
            failed = f"checkpoint #{checkpoint.number} did not resume: {exc}"
            store.drop(checkpoint)
            continue
        void = reload_in(client, choice.reload, on_modules)
        checkpoint.found(void, choice.reload)
        if void is None:
            _say_void(choice, say)
            return checkpoint.position, choice.reload
        client.kill()
    _say_void(choice, say)
    why_not = choice.why_not or failed
    if why_not:
        say(f"{why_not}; replaying from a fresh kernel\n")
    return None


def _say_void(choice: Choice, say: Callable[[str], None]) -> None:
    """The checkpoints passed over as void (the last choice lists every one found so far):
    once, when the trials are over, one line per reason."""
    for line in void_lines(choice.passed_over):
        say(f"{line}\n")


def reload_in(client: KernelClient, paths: list[str],
              on_modules: Callable[[protocol.ModuleDelta], None] | None) -> str | None:
    """Reload ``paths`` in the kernel of ``client``; None if all applied, else why not.

    ``on_modules`` gets the kernel's modules once they did (a resumed kernel
    reports them all).
    """
    if not paths:
        return None
    try:
        reply = client.reload(paths, [])
    except (KernelDied, KernelError, TimeoutError) as exc:
        return f"reloading {_names(paths)} there ended the kernel ({exc})"
    for result in reply.results:
        if result.status in _VOIDING:
            return _why(result)
    if on_modules is not None:
        on_modules(reply.modules)
    return None


def try_checkpoints(store: CheckpointStore, options: Options, checkpoint_after: float | None) -> None:
    """Find out which checkpoints with changed files are void, each in a throwaway kernel."""
    digests: dict[str, str | None] = {}
    for checkpoint in reversed(store.items):  # newest first: a void one answers for its twins
        changed = checkpoint.changed_files(digests)
        if changed and not checkpoint.tried(changed) and store.void_now(checkpoint, changed) is None:
            _try(checkpoint, changed, options, checkpoint_after)


def _try(checkpoint: Checkpoint, changed: list[str], options: Options,
         checkpoint_after: float | None) -> None:
    trial = KernelClient(options)
    trial.checkpoint_after = checkpoint_after  # a notice channel, as a checkpoint expects
    try:
        trial.resume(checkpoint.control, quiet=True)
    except KernelDied:
        return  # a restart finds out again, and says so
    try:
        checkpoint.found(reload_in(trial, changed, None), changed)
    finally:
        trial.kill()


def _why(result: protocol.ReloadResult) -> str:
    name = os.path.basename(result.path) if result.path else result.module
    if result.status == protocol.DELETED:
        return f"{name} was deleted"
    if result.status == protocol.UNSAFE:  # the detail may name the file and line already
        return result.detail if result.detail.startswith(name) else f"{name}: {result.detail}"
    where = result.location or name
    return f"{where}: {result.error}" if result.error else f"{name} does not reload"


def _names(paths: list[str]) -> str:
    return ", ".join(os.path.basename(path) for path in paths)
