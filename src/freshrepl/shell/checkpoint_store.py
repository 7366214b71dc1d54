"""Checkpoints, shell side: the paused kernels the shell holds, their budget, and which one a restart resumes.

A checkpoint is known by the control socket the kernel handed over with its
notice (see ``kernel/checkpoints.py``); the shell is the only holder, so
closing it ends the checkpoint.  Each one stands at a *position* in the
session record: the number of the last input whose effects it holds (0:
none; see ``session.py`` for how inputs are numbered).

Budget: at most ``keep`` at once, and at most ``memory_mb`` held in all.  A
checkpoint holds the pages the live kernel has overwritten since the fork
(its private dirty memory).  Over the count, the oldest one that a newer one
with the same user code makes redundant goes first, else the oldest; over the
memory, the largest.  The settings are those of ``freshrepl/settings.py``
(``checkpoints``, ``checkpoint_memory_mb``, ``checkpoint_after_ms``).
"""

from __future__ import annotations

import os
import time

from freshrepl.dataclass_lite import dataclass_lite, field
from freshrepl.digests import BYTES, file_digest, unpack_files
from freshrepl.process import reap_soon
from freshrepl.settings import SETTINGS, default

TYPE_CHECKING = False  # typing and socket load after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    import socket

MEASURE_EVERY = 2.0  # seconds between memory measurements (each costs ~1 ms per 100 MB)


@dataclass_lite
class CheckpointSettings:
    keep: int = default("checkpoints")  # at most this many at once; 0 turns checkpoints off
    memory_mb: float = default("checkpoint_memory_mb")  # held by all of them together
    after: float = default("checkpoint_after_ms") / 1000  # seconds a successful input took
    undo_keep: int = default("undo_checkpoints")  # besides them, taken while idle (:undo)


@dataclass_lite
class Checkpoint:
    number: int  # shown to the user, in order of taking
    position: int  # the number of the last input it holds the effects of (0: none)
    pid: int
    control: socket.socket
    why: str
    files: str  # (path, "text" | "bytes", sha256) of the user code it loaded, packed
    held: int = 0  # bytes only it holds, as last measured
    idle: bool = False  # taken while idle for :undo (kept only a few inputs)
    fork_ms: float = 0.0  # how long its fork held the kernel up
    # Why it cannot be resumed with the files on disk now (a change of one of its
    # files is unsafe, or fails, there; None: it can), as found when its changed
    # files were in the state ``tried_for``.
    void: str | None = None
    tried_for: tuple[tuple[str, str | None], ...] | None = None

    def changed_files(self, digests: dict[str, str | None]) -> list[str]:
        """Its user files that are no longer what it loaded (a resume reloads them)."""
        changed = []
        for path, kind, digest in unpack_files(self.files):
            key = f"{kind}:{path}"
            if key not in digests:
                digests[key] = file_digest(path, kind)
            if digests[key] != digest:
                changed.append(path)
        return changed

    def void_now(self, changed: list[str]) -> str | None:
        """Why it is void, if its changed files are still as they were when it was found so."""
        return self.void if self.tried(changed) else None

    def loaded_versions(self, paths: list[str]) -> list[tuple[str, str, str]]:
        """What it had loaded of ``paths`` (path, kind, digest), in its listing's order."""
        wanted = set(paths)
        return [entry for entry in unpack_files(self.files) if entry[0] in wanted]

    def tried(self, changed: list[str]) -> bool:
        """Has a resume been tried with ``changed`` as they are on disk now?"""
        return self.tried_for is not None and self.tried_for == _file_states(changed)

    def found(self, void: str | None, changed: list[str]) -> None:
        """A resume with ``changed`` as on disk now is void (and why), or fine (None)."""
        self.void, self.tried_for = void, _file_states(changed)


@dataclass_lite
class Choice:
    """What a restart resumes: a checkpoint, or nothing and why (None: nothing to explain)."""

    checkpoint: Checkpoint | None
    why_not: str | None = None
    reload: list[str] = field(default_factory=list)  # its files to reload once resumed
    # The void ones newer than it, and why.
    passed_over: list[tuple[Checkpoint, str]] = field(default_factory=list)


@dataclass_lite
class CheckpointStore:
    settings: CheckpointSettings
    items: list[Checkpoint] = field(default_factory=list)
    skipped: str | None = None  # why the last checkpoint due was not taken
    unavailable: str | None = None  # why this platform cannot have them
    dropped: str | None = None  # why the last one went unasked (over the memory, killed)
    _taken: int = 0
    _measured: float = 0.0
    _measure_due: bool = False  # a checkpoint came: measure at the next settle()

    def add(self, pid: int, control: socket.socket, files: str, position: int, why: str,
            idle: bool = False, fork_ms: float = 0.0) -> None:
        self._taken += 1
        self.dropped = None
        if not idle:
            self.skipped = None
        for twin in [c for c in self.items if c.position == position and c.files == files]:
            idle = idle and twin.idle  # the policy's stays the policy's
            self.drop(twin)  # the same state, older: the new one holds less memory
        self.items.append(Checkpoint(self._taken, position, pid, control, why, files, idle=idle,
                                     fork_ms=fork_ms))
        self.items.sort(key=lambda c: (c.position, c.number))
        # The budget is kept at settle(), once the next prompt is up: reading every
        # checkpoint's page counts and waiting for a dropped one to exit take
        # milliseconds the user would wait for.
        self._measure_due = True

    def note_skipped(self, position: int, reason: str) -> None:
        self.skipped = f"no checkpoint after input {position}: {reason}"

    def choose(self, limit: int) -> Choice:
        """The newest checkpoint at or before ``limit`` not void with the files on disk now.

        Its user files that changed since it was taken are to be reloaded in
        it once resumed (``Choice.reload``); the resume is void if one of those
        reloads is unsafe or fails there (see ``void``).
        """
        digests: dict[str, str | None] = {}
        passed_over: list[tuple[Checkpoint, str]] = []
        for checkpoint in reversed(self.items):
            if checkpoint.position > limit:
                continue
            changed = checkpoint.changed_files(digests)
            void = self.void_now(checkpoint, changed)
            if void is None:
                return Choice(checkpoint, reload=changed, passed_over=passed_over)
            passed_over.append((checkpoint, void))
        if self.skipped:
            return Choice(None, self.skipped, passed_over=passed_over)
        return Choice(None, self.dropped, passed_over=passed_over)

    def void_now(self, checkpoint: Checkpoint, changed: list[str]) -> str | None:
        """Why ``checkpoint`` is void with ``changed`` as on disk now, if known.

        Known from a resume of it, or of another checkpoint that had loaded
        the very same text of those files: the same change of the same code
        is refused alike (when in doubt, a checkpoint is passed over: that
        costs replay time, never correctness).
        """
        void = checkpoint.void_now(changed)
        if void is not None or not changed:
            return void
        loaded = checkpoint.loaded_versions(changed)
        for other in self.items:
            if other is not checkpoint and other.void_now(changed) is not None \
                    and other.loaded_versions(changed) == loaded:
                return other.void
        return None

    # -- budget ---------------------------------------------------------------------

    def settle(self) -> None:
        """Keep the budget, if a checkpoint came since it was last kept (between inputs)."""
        if self._measure_due:
            self.enforce_budget(measure=True)

    def enforce_budget(self, measure: bool = False) -> None:
        """Drop checkpoints until both limits hold; memory is measured at most every 2 s.

        After a new checkpoint, only ``measure`` (or ``settle()``) does it: never
        on the way from an input to its result and the next prompt.
        """
        if self._measure_due and not measure:
            return
        for idle, keep in ((False, self.settings.keep), (True, self.settings.undo_keep)):
            while sum(1 for c in self.items if c.idle == idle) > keep:
                self.drop(self._least_useful(idle))
        if not measure and time.monotonic() - self._measured < MEASURE_EVERY:
            return
        self._measure_due = False
        self.measure()
        limit = self.settings.memory_mb * 2**20
        while self.items and sum(c.held for c in self.items) > limit:
            largest = max(self.items, key=lambda c: c.held)
            self.dropped = (f"checkpoint #{largest.number} was dropped: it held "
                            f"{_megabytes(largest.held)} (limit {self.settings.memory_mb:g} MB)")
            self.drop(largest)

    def measure(self) -> None:
        self._measured = time.monotonic()
        for checkpoint in list(self.items):
            held = private_dirty(checkpoint.pid)
            if held is None:  # killed by hand, or by the OOM killer
                self.dropped = f"checkpoint #{checkpoint.number} was killed"
                self.drop(checkpoint)
            else:
                checkpoint.held = held

    def _least_useful(self, idle: bool) -> Checkpoint:
        """Of one kind: the oldest a newer one with the same user code makes redundant, else
        the oldest (for :undo, only the oldest: each stands before its own input)."""
        kind = [c for c in self.items if c.idle == idle]
        for index, checkpoint in enumerate(kind):
            if not idle and any(newer.files == checkpoint.files for newer in kind[index + 1:]):
                return checkpoint
        return kind[0]

    def drop(self, checkpoint: Checkpoint) -> None:
        """Hang up: the checkpoint exits when its control socket closes."""
        if checkpoint in self.items:
            self.items.remove(checkpoint)
        try:
            checkpoint.control.close()
        except OSError:
            pass
        reap_soon(checkpoint.pid, tries=50)  # a checkpoint of a dead kernel is ours (subreaper)

    def drop_from(self, position: int) -> int:
        """End the checkpoints that hold the effects of input ``position`` or later; how many."""
        doomed = [c for c in self.items if c.position >= position]
        for checkpoint in doomed:
            self.drop(checkpoint)
        return len(doomed)

    def clear(self) -> None:
        for checkpoint in list(self.items):
            self.drop(checkpoint)

    # -- showing ----------------------------------------------------------------------

    def render(self) -> str:
        """The ``:checkpoints`` table."""
        if self.settings.keep == 0:
            return (f"checkpoints are off ({SETTINGS['checkpoints'].env}=0): "
                    "a restart replays from a fresh kernel")
        if self.unavailable:
            return f"checkpoints are off: {self.unavailable}"
        self.enforce_budget(measure=True)
        lines = []
        if self.items:
            digests: dict[str, str | None] = {}
            lines.append(f"{'#':>3}  {'after input':>11}  {'pid':>7}  {'holds':>9}  taken")
            for c in self.items:
                lines.append(f"{c.number:>3}  {c.position:>11}  {c.pid:>7}  "
                             f"{_megabytes(c.held):>9}  {c.why}{_state(self, c, digests)}")
            total = sum(c.held for c in self.items)
            newest = max(self.items, key=lambda c: c.number)
            lines.append(f"{len(self.items)} of at most {self.settings.keep} "
                         f"(+{self.settings.undo_keep} for :undo); {_megabytes(total)} held "
                         f"(limit {self.settings.memory_mb:g} MB); the newest took "
                         f"{newest.fork_ms:.1f} ms to fork")
        else:
            lines.append(f"no checkpoints: one is taken before an input first imports one of "
                         f"your modules, and after an input that takes {self.settings.after:g} s "
                         "or more")
        for note in (self.dropped, self.skipped):
            if note:
                lines.append(note)
        return "\n".join(lines)


def _state(store: CheckpointStore, checkpoint: Checkpoint, digests: dict[str, str | None]) -> str:
    """What resuming it would take: nothing, reloading files, or it is void (and why)."""
    changed = checkpoint.changed_files(digests)
    void = store.void_now(checkpoint, changed)
    if void is not None:
        return f"  (void: {void})"
    if changed:
        return f"  (a resume reloads {', '.join(os.path.basename(p) for p in changed)})"
    return ""


def _file_states(paths: list[str]) -> tuple[tuple[str, str | None], ...]:
    """What ``paths`` hold now (their bytes' digests), to tell when they change again."""
    return tuple((path, file_digest(path, BYTES)) for path in sorted(paths))


def private_dirty(pid: int) -> int | None:
    """Bytes of memory only ``pid`` holds (its private dirty pages); None if it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return 0


def reap_orphans(keep: int | None) -> None:
    """Collect exited processes the shell adopted (as subreaper), except the kernel ``keep``.

    Besides checkpoints of a dead kernel, the shell adopts whatever that kernel
    left running; once they exit they would stay zombies until the shell ends.
    """
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children") as handle:
                children = [int(pid) for pid in handle.read().split()]
        except (OSError, ValueError):
            continue
        for pid in children:
            if pid != keep and _is_zombie(pid):
                reap_soon(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def void_lines(passed_over: list[tuple[Checkpoint, str]]) -> list[str]:
    """What to say of checkpoints passed over: one line per reason, newest first."""
    by_reason: dict[str, list[Checkpoint]] = {}
    for checkpoint, why in passed_over:
        by_reason.setdefault(why, []).append(checkpoint)
    lines = []
    for why, checkpoints in by_reason.items():
        named = ", ".join(f"#{c.number} (after input {c.position})" for c in checkpoints)
        many = len(checkpoints) > 1
        lines.append(f"checkpoint{'s' if many else ''} {named} {'are' if many else 'is'} void: {why}")
    return lines
