"""Owns when ``on_change`` is called: the settle rule (thread-free, on any clock) and its thread.

A file is pending as soon as a change is seen (so the barrier and the pending
set never lag), but the wake-up waits for the save to settle: no event for
``QUIET`` seconds and no watched file left open for writing (a
``created``/``modified`` event not yet followed by ``closed``), or
``MAX_DELAY`` after the first change, whichever comes first.  Otherwise the
shell could reload a file caught between an editor's truncate and its write
(an empty module: every function deleted), or report a file "deleted" between
the two halves of a rename-away-and-rewrite save.

Where the last event of every file touched says its content is whole (closed
after writing, or another file renamed onto it: how saves end on Linux), the
wait is only ``QUIET_COMPLETE``, long enough for the rest of the same burst
of events; a file left deleted or moved away, or a change seen by polling,
waits the whole ``QUIET``.

:class:`Settler` is the rule alone: plain state and a clock, no threads, so it
is tested with a fake clock.  :class:`Notifier` is the ``freshrepl-notify``
thread that sleeps until the settler says a batch is due and calls
``on_change``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["MAX_DELAY", "QUIET", "QUIET_COMPLETE", "Notifier", "Settler"]

# Seconds.  MAX_DELAY keeps the wake-up inside its 50 ms budget where no
# "closed" event exists (macOS, Windows, watchdog's polling observer).
QUIET = 0.010
QUIET_COMPLETE = 0.002  # an editor's save is one burst of events, well inside this
MAX_DELAY = 0.040

_POLLED = "\0polled"  # stands for the files a polled change (no event, no name) touched


class Settler:
    """The settling state of one batch of changes: when it started, the last event, open writers.

    The caller serialises calls (the watcher's lock).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._batch_start: float | None = None  # first change not yet announced
        self._last_event = 0.0  # time of the last event for a watched file
        self._writing: set[str] = set()  # files possibly still open for writing
        self._unsettled: set[str] = set()  # files whose last event leaves them gone or unknown

    @property
    def busy(self) -> bool:
        """Whether a batch is waiting to be announced."""
        return self._batch_start is not None

    def start(self) -> bool:
        """The pending set just became non-empty: start a batch (False: one is already waiting)."""
        if self._batch_start is not None:
            return False
        self._batch_start = self.clock()
        return True

    def saw_event(self, key: str, *, writing: bool, complete: bool = False) -> None:
        """An event named this file; ``writing``: the writer may still have it open;
        ``complete``: its content is whole now (closed after writing, renamed onto)."""
        self._last_event = self.clock()
        if writing:
            self._writing.add(key)
        else:
            self._writing.discard(key)
        if writing or complete:
            self._unsettled.discard(key)
        else:
            self._unsettled.add(key)

    def saw_change(self) -> None:
        """A change was found with no event to go with it (by polling)."""
        self._last_event = self.clock()
        self._unsettled.add(_POLLED)

    def forget(self, key: str) -> None:
        """The file is no longer watched."""
        self._writing.discard(key)
        self._unsettled.discard(key)

    def remaining(self) -> float | None:
        """Seconds until the waiting batch is due (<= 0: now); None when there is none."""
        if self._batch_start is None:
            return None
        due = self._batch_start + MAX_DELAY
        if not self._writing:
            due = min(due, self._last_event + (QUIET if self._unsettled else QUIET_COMPLETE))
        return due - self.clock()

    def fire(self) -> None:
        """The batch is being announced: the next change starts a new one."""
        self._batch_start = None
        # A file left open for good (or a watchdog without "closed" events)
        # must not hold up every later batch as well.
        self._writing.clear()
        self._unsettled.clear()


class Notifier:
    """The thread that calls ``on_change`` once each batch has settled (unless it was taken).

    ``cond`` is the condition on the lock that guards the settler and the
    pending set (``has_pending`` is called with it held); whoever changes the
    settler calls :meth:`wake` with it held.  ``on_change`` is called with it
    released.
    """

    def __init__(
        self,
        cond: threading.Condition,
        settler: Settler,
        has_pending: Callable[[], bool],
        on_change: Callable[[], None],
    ) -> None:
        self._cond = cond
        self._settler = settler
        self._has_pending = has_pending
        self._on_change = on_change
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="freshrepl-notify", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """With the lock held: the settler changed, look at it again."""
        self._cond.notify()

    def stop(self) -> None:
        """End the thread; joins it unless called from ``on_change`` itself."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        thread = self._thread
        # A thread cannot join itself (on_change may call the watcher's stop()).
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)

    def _run(self) -> None:
        with self._cond:
            while not self._stopping:
                delay = self._settler.remaining()
                if delay is None:
                    self._cond.wait()
                elif delay > 0:
                    self._cond.wait(delay)
                else:
                    self._settler.fire()
                    if self._has_pending():  # else taken (e.g. by sync before an input) meanwhile
                        self._call()

    def _call(self) -> None:
        """With the lock held: call on_change without it."""
        self._cond.release()
        try:
            self._on_change()
        except Exception:
            pass  # the shell's bug must not end notifications; the change stays pending
        finally:
            self._cond.acquire()
