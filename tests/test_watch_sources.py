"""Unit tests for the watcher's event sources: watchdog's, the inotify journal, the poller.

Each source is driven on its own: the watchdog source through a stand-in
observer (no threads) plus one run of the real one, the journal on real
directories (Linux), the poller with a short interval.  Waiting is on events
with a timeout.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog import events as wd

from freshrepl.watch.journal import JournalSource
from freshrepl.watch.observer import FileEvent, WatchdogSource
from freshrepl.watch.poller import PollSource
from freshrepl.watch.source import SourceFailed

TIMEOUT = 5.0  # only a failure ever waits this long

# -- watchdog ---------------------------------------------------------------


class FakeObserver:
    """Stands in for watchdog's Observer: records schedules, fails where told."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.scheduled: dict[object, str] = {}  # watch -> directory
        self.unscheduled: list[str] = []
        self.started = self.stopped = False

    def __call__(self) -> FakeObserver:  # watchdog.observers.Observer() makes one
        return self

    def start(self) -> None:
        self._maybe_fail("start")
        self.started = True

    def schedule(self, handler: object, path: str, *, recursive: bool) -> object:
        assert not recursive
        self._maybe_fail(path)
        watch = object()
        self.scheduled[watch] = path
        return watch

    def unschedule(self, watch: object) -> None:
        self.unscheduled.append(self.scheduled.pop(watch))

    def stop(self) -> None:
        self.stopped = True

    def join(self, timeout: float | None = None) -> None:
        pass

    def _maybe_fail(self, where: str) -> None:
        if where in self.fail:
            raise self.fail[where]


def use_observer(monkeypatch: pytest.MonkeyPatch, observer: FakeObserver) -> None:
    import watchdog.observers

    monkeypatch.setattr(watchdog.observers, "Observer", observer)


def make_source() -> tuple[WatchdogSource, list[FileEvent]]:
    events: list[FileEvent] = []
    return WatchdogSource(events.append), events


def test_watchdog_schedules_each_directory_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeObserver()
    use_observer(monkeypatch, fake)
    source, _ = make_source()
    assert source.add_dirs(["/a", "/b"]) == []
    assert fake.started
    assert source.add_dirs(["/b", "/c"]) == []
    assert sorted(fake.scheduled.values()) == ["/a", "/b", "/c"]
    assert source.directories == {"/a", "/b", "/c"}
    source.remove_dirs(["/a", "/unknown"])
    assert fake.unscheduled == ["/a"]
    assert source.directories == {"/b", "/c"}
    source.close()
    assert fake.stopped
    assert source.directories == set()
    source.close()  # idempotent


@pytest.mark.parametrize("err", [errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM])
def test_watchdog_hands_back_unwatchable_directories(
    monkeypatch: pytest.MonkeyPatch, err: int
) -> None:
    fake = FakeObserver({"/gone": OSError(err, os.strerror(err))})
    use_observer(monkeypatch, fake)
    source, _ = make_source()
    assert source.add_dirs(["/a", "/gone", "/b"]) == ["/gone"]
    assert source.directories == {"/a", "/b"}
    assert not fake.stopped


@pytest.mark.parametrize(
    ("where", "exc", "reason"),
    [
        ("/b", OSError(errno.ENOSPC, "No space left on device"), "inotify watch limit reached"),
        ("start", OSError(errno.EMFILE, "Too many open files"), "inotify instance limit reached"),
        ("start", OSError(errno.EIO, "I/O error"), "file watching unavailable (I/O error)"),
        ("start", RuntimeError("odd"), "file watching failed to start (odd)"),
    ],
)
def test_watchdog_failure_closes_the_source(
    monkeypatch: pytest.MonkeyPatch, where: str, exc: Exception, reason: str
) -> None:
    fake = FakeObserver({where: exc})
    use_observer(monkeypatch, fake)
    source, _ = make_source()
    with pytest.raises(SourceFailed, match=f"^{reason.replace('(', '.').replace(')', '.')}$"):
        source.add_dirs(["/a", "/b"])
    assert source.directories == set()
    if where != "start":
        assert fake.stopped


def test_watchdog_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "watchdog.observers", None)  # makes the import fail
    source, _ = make_source()
    with pytest.raises(SourceFailed, match="^watchdog is not installed$"):
        source.add_dirs(["/a"])


def test_watchdog_events_as_the_watcher_sees_them(monkeypatch: pytest.MonkeyPatch) -> None:
    use_observer(monkeypatch, FakeObserver())
    source, events = make_source()
    source.add_dirs(["/d"])
    for name in ("FileOpenedEvent", "FileClosedNoWriteEvent"):  # not in every watchdog
        if hasattr(wd, name):
            source.dispatch(getattr(wd, name)("/d/m.py"))
    assert events == [], "reading a file is not news"
    source.dispatch(wd.FileModifiedEvent(b"/d/m.py"))
    source.dispatch(wd.FileCreatedEvent("/d/n.py"))
    source.dispatch(wd.FileClosedEvent("/d/m.py"))
    source.dispatch(wd.FileMovedEvent("/d/.m.tmp", "/d/m.py"))
    source.dispatch(wd.FileDeletedEvent("/d/m.py"))
    assert events == [
        FileEvent("/d/m.py", writing=True),
        FileEvent("/d/n.py", writing=True),
        FileEvent("/d/m.py", closed=True),
        FileEvent("/d/.m.tmp", "/d/m.py"),
        FileEvent("/d/m.py"),
    ]


def test_watchdog_rewatches_a_deleted_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeObserver()
    use_observer(monkeypatch, fake)
    source, events = make_source()
    source.add_dirs(["/d"])
    source.dispatch(wd.DirDeletedEvent("/d"))
    assert events == [FileEvent("/d", dir_deleted=True)]
    assert source.directories == set(), "the watch ended with its directory"
    # watchdog would hand back the dead watch: it is unscheduled first.
    assert source.add_dirs(["/d"]) == []
    assert fake.unscheduled == ["/d"]
    assert list(fake.scheduled.values()) == ["/d"]
    source.dispatch(wd.DirDeletedEvent("/d"))
    source.remove_dirs(["/d"])  # a dead watch is dropped too
    assert fake.unscheduled == ["/d", "/d"]
    assert fake.scheduled == {}


def test_watchdog_real_observer(tmp_path: Path) -> None:
    mod = str(tmp_path / "m.py")
    got = threading.Event()
    events: list[FileEvent] = []

    def on_event(event: FileEvent) -> None:
        events.append(event)
        if mod in (event.src, event.dest):
            got.set()

    source = WatchdogSource(on_event)
    try:
        assert source.add_dirs([str(tmp_path)]) == []
        (tmp_path / "m.py").write_text("x = 1\n")
        assert got.wait(TIMEOUT)
    finally:
        source.close()
    assert source.directories == set()


# -- the inotify journal ----------------------------------------------------

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@pytest.fixture
def journal() -> Iterator[JournalSource]:
    source = JournalSource.open()
    assert source is not None
    yield source
    source.close()


@linux_only
def test_journal_names_touched_files(tmp_path: Path, journal: JournalSource) -> None:
    (tmp_path / "sub").mkdir()
    assert journal.add_dirs([str(tmp_path), str(tmp_path / "sub")]) == []
    assert journal.drain() == set()
    (tmp_path / "a.py").write_text("a")
    (tmp_path / "sub" / "b.py").write_text("b")
    os.replace(tmp_path / "a.py", tmp_path / "sub" / "c.py")
    assert journal.drain() == {
        str(tmp_path / "a.py"), str(tmp_path / "sub" / "b.py"), str(tmp_path / "sub" / "c.py")
    }
    assert journal.drain() == set(), "drained"
    journal.remove_dirs([str(tmp_path / "sub")])
    (tmp_path / "sub" / "b.py").write_text("bb")
    assert journal.drain() == set()
    assert not journal.closed


@linux_only
def test_journal_closes_when_it_cannot_watch(tmp_path: Path, journal: JournalSource) -> None:
    with pytest.raises(SourceFailed):
        journal.add_dirs([str(tmp_path / "missing")])
    assert journal.closed
    assert journal.drain() is None, "no journal: the caller must look at every file"


@linux_only
def test_journal_closes_when_a_directory_goes(tmp_path: Path, journal: JournalSource) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    journal.add_dirs([str(pkg)])
    pkg.rmdir()
    assert journal.drain() is None, "a re-created directory would be silent"
    assert journal.closed
    journal.remove_dirs([str(pkg)])  # harmless once closed
    journal.close()


def test_journal_open_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert JournalSource.open() is None


# -- the poller -------------------------------------------------------------


def poll_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "freshrepl-poll"]


def make_poller(on_tick: Callable[[list[str]], None]) -> PollSource:
    before = poll_threads()
    poller = PollSource(on_tick, interval=0.01)
    assert poll_threads() == before
    return poller


def test_poller_ticks_with_its_directories() -> None:
    ticks: list[list[str]] = []
    ticked = threading.Event()

    def on_tick(dirs: list[str]) -> None:
        ticks.append(dirs)
        ticked.set()

    poller = make_poller(on_tick)
    try:
        assert poller.add_dirs([]) == []
        assert poller._thread is None, "no thread until there is something to poll"
        assert poller.add_dirs(["/a", "/b", "/a"]) == []
        assert ticked.wait(TIMEOUT)
        assert ticks[-1] == ["/a", "/b"]
        poller.remove_dirs(["/a"])
        ticked.clear()
        assert ticked.wait(TIMEOUT)
        assert ticks[-1] == ["/b"]
    finally:
        poller.close()
    assert poller._thread is not None and not poller._thread.is_alive()


def test_poller_stays_closed() -> None:
    poller = make_poller(lambda dirs: None)
    poller.close()
    assert poller.add_dirs(["/a"]) == []
    assert poller._thread is None, "no thread after close"
    poller.close()
