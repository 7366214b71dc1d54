"""Unit tests for freshrepl.watch.settle: the settle rule on a fake clock, and its thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from freshrepl.watch.settle import MAX_DELAY, QUIET, QUIET_COMPLETE, Notifier, Settler

TIMEOUT = 5.0  # only a failure ever waits this long


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settler(clock: Clock) -> Settler:
    return Settler(clock)


def test_nothing_to_announce(settler: Settler) -> None:
    assert settler.remaining() is None
    assert not settler.busy


def test_one_batch_at_a_time(settler: Settler) -> None:
    assert settler.start()
    assert settler.busy
    assert not settler.start(), "a batch is already waiting"
    settler.fire()
    assert not settler.busy
    assert settler.start()


def test_quiet_after_the_last_event(settler: Settler, clock: Clock) -> None:
    settler.saw_event("a", writing=False)
    settler.start()
    assert settler.remaining() == pytest.approx(QUIET)
    clock.advance(QUIET / 2)
    settler.saw_event("a", writing=False)  # a later event pushes the deadline back
    assert settler.remaining() == pytest.approx(QUIET)
    clock.advance(QUIET)
    assert settler.remaining() == pytest.approx(0)


def test_a_change_with_no_event_is_announced_at_once(settler: Settler, clock: Clock) -> None:
    # Found by a look at the file (watch()'s second look), not by an event.
    clock.advance(1.0)
    settler.start()
    remaining = settler.remaining()
    assert remaining is not None and remaining <= 0


def test_events_never_hold_it_past_max_delay(settler: Settler, clock: Clock) -> None:
    settler.saw_event("a", writing=False)
    settler.start()
    start = clock.now
    remaining = settler.remaining()
    while remaining is not None and remaining > 0:
        clock.advance(QUIET / 2)  # an event every half quiet period, forever
        settler.saw_event("a", writing=False)
        remaining = settler.remaining()
    assert clock.now - start == pytest.approx(MAX_DELAY)


def test_open_writer_holds_until_closed_or_max_delay(settler: Settler, clock: Clock) -> None:
    settler.saw_event("a", writing=True)  # created / modified: more bytes may come
    settler.start()
    clock.advance(QUIET * 2)
    assert settler.remaining() == pytest.approx(MAX_DELAY - QUIET * 2)
    settler.saw_event("a", writing=False, complete=True)  # closed
    assert settler.remaining() == pytest.approx(QUIET_COMPLETE)


def test_a_whole_file_waits_only_for_the_rest_of_its_burst(settler: Settler, clock: Clock) -> None:
    # A rename-away-and-rewrite save: the file is gone a moment, then written anew.
    settler.saw_event("a", writing=False)  # moved away: "deleted" may be only half the story
    settler.start()
    assert settler.remaining() == pytest.approx(QUIET)
    settler.saw_event("a", writing=True)  # created again
    settler.saw_event("a", writing=False, complete=True)  # closed after writing
    assert settler.remaining() == pytest.approx(QUIET_COMPLETE)
    # Another file of the batch left gone: the whole quiet period again.
    settler.saw_event("b", writing=False)
    assert settler.remaining() == pytest.approx(QUIET)
    settler.saw_event("b", writing=False, complete=True)  # renamed onto: whole
    assert settler.remaining() == pytest.approx(QUIET_COMPLETE)


def test_forget_and_fire_drop_writers(settler: Settler, clock: Clock) -> None:
    settler.saw_event("a", writing=True)
    settler.start()
    settler.forget("a")  # unwatched
    assert settler.remaining() == pytest.approx(QUIET_COMPLETE)
    settler.saw_event("b", writing=True)
    settler.saw_event("c", writing=False)
    settler.fire()
    # A writer that never closed, or a file gone, must not hold up the next batch too.
    settler.start()
    assert settler.remaining() == pytest.approx(QUIET_COMPLETE)


def test_a_polled_change_counts_as_activity(settler: Settler, clock: Clock) -> None:
    clock.advance(1.0)
    settler.start()
    settler.saw_change()
    assert settler.remaining() == pytest.approx(QUIET)
    settler.saw_event("a", writing=False, complete=True)  # a polled change still waits
    assert settler.remaining() == pytest.approx(QUIET)


# -- the thread -------------------------------------------------------------


class Harness:
    """A Notifier over a real settler and condition, with a pending flag of our own."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self.cond = threading.Condition()
        self.settler = Settler()
        self.pending = False
        self.consulted = threading.Event()  # the notifier looked at the pending set
        self.called = threading.Event()
        self.calls = 0
        self.notifier = Notifier(self.cond, self.settler, self._has_pending,
                                 on_change or self._on_change)

    def _has_pending(self) -> bool:
        self.consulted.set()
        return self.pending

    def _on_change(self) -> None:
        self.calls += 1
        self.called.set()

    def change(self) -> None:
        with self.cond:
            self.pending = True
            if self.settler.start():
                self.notifier.wake()


def test_notifier_calls_once_the_batch_is_due() -> None:
    h = Harness()
    h.notifier.start()
    try:
        h.change()
        assert h.called.wait(TIMEOUT)
        assert not h.settler.busy
        h.called.clear()
        h.change()
        assert h.called.wait(TIMEOUT)
        assert h.calls == 2
    finally:
        h.notifier.stop()


def test_notifier_skips_a_batch_taken_meanwhile() -> None:
    h = Harness()
    h.change()
    with h.cond:
        h.pending = False  # taken (sync before an input) before it was due
    h.notifier.start()
    try:
        assert h.consulted.wait(TIMEOUT)
        with h.cond:  # the notifier is back to waiting: the batch is over
            assert not h.settler.busy
            assert h.calls == 0
        h.change()  # the next change is a new batch, announced as usual
        assert h.called.wait(TIMEOUT)
        assert h.calls == 1
    finally:
        h.notifier.stop()


def test_notifier_survives_on_change_raising_and_stops() -> None:
    seen = threading.Event()

    def on_change() -> None:
        seen.set()
        raise RuntimeError("shell bug")

    h = Harness(on_change)
    h.notifier.start()
    try:
        h.change()
        assert seen.wait(TIMEOUT)
        seen.clear()
        h.change()
        assert seen.wait(TIMEOUT)
    finally:
        h.notifier.stop()
    assert h.notifier._thread is not None and not h.notifier._thread.is_alive()
