"""Who gets the kernel's channel next: help asked for while typing gives way to everything else.

Completion and signature requests are sent as the user types; an input to run
must never wait behind them.  A help request therefore gives up (``Superseded``)
when any other request wants the channel, or when a newer help request of its
own kind is made: before it is sent if it is still waiting for the channel,
and while it waits for its reply otherwise (a wake-up pipe ends that wait; the
late reply is dropped by its id).
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from freshrepl.channel import Channel


class Superseded(TimeoutError):
    """A help request given up: an input to run, or a newer request of its kind, wants the channel."""


class RequestGate:
    """The channel's lock, with help requests giving way to the others."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one request (or the hello) on the channel at a time
        self._counts = threading.Lock()  # guards the three below
        self._urgent = 0  # non-help requests waiting for the channel
        self._helping = 0  # help requests under way (waiting for the channel or a reply)
        self._newest: dict[str, int] = {}  # per help request kind: the newest one's ticket
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Hold the channel for a request that help must not delay."""
        with self._counts:
            self._urgent += 1
        if self._helping:
            self._wake()  # the written pipe only costs a call when help is under way
        try:
            self.lock.acquire()
        finally:
            with self._counts:
                self._urgent -= 1
        try:
            yield
        finally:
            self.lock.release()

    @contextmanager
    def helping(self, kind: str, timeout: float | None) -> Iterator[Callable[[], bool]]:
        """Hold the channel for a help request; yields "has it been superseded?"."""
        with self._counts:
            ticket = self._newest[kind] = self._newest.get(kind, 0) + 1
            self._helping += 1
        try:
            self._wake()  # an older one of its kind still waiting for its reply gives up

            def superseded() -> bool:
                return self._urgent > 0 or self._newest[kind] != ticket

            if not self.lock.acquire(timeout=-1 if timeout is None else timeout):
                raise TimeoutError("the channel stayed busy")
            try:
                if superseded():
                    raise Superseded(kind)
                yield superseded
            finally:
                self.lock.release()
        finally:
            with self._counts:
                self._helping -= 1

    def wait_readable(self, conn: Channel, wait: float, wakeable: bool) -> bool:
        """Is a message waiting on ``conn`` within ``wait`` s?  ``wakeable``: a wake-up ends the wait."""
        if not wakeable:
            return conn.poll(wait)
        readable, _, _ = select.select([conn.fileno(), self._wake_read], [], [], wait)
        if self._wake_read in readable:
            try:
                os.read(self._wake_read, 4096)
            except BlockingIOError:
                pass
        return conn.fileno() in readable

    def _wake(self) -> None:
        try:
            os.write(self._wake_write, b"!")
        except BlockingIOError:
            pass  # full: a wake-up is pending anyway
