"""Tests for freshrepl.watch: real files in tmp_path, real watchdog threads.

Waiting is always on a threading.Event with a timeout (or on sync(), which is
exact); nothing relies on a sleep being long enough.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from freshrepl.watch import table as table_mod
from freshrepl.watch import watcher as watch_mod
from freshrepl.watch.watcher import Watcher

TIMEOUT = 5.0  # generous: only a failure ever waits this long


class Probe:
    """An on_change callback that counts calls and can be waited on."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.calls = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.current_thread().name)
        self.event.set()

    def wait(self) -> bool:
        ok = self.event.wait(TIMEOUT)
        self.event.clear()
        return ok


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def make_watcher(probe: Probe) -> Iterator[Callable[..., Watcher]]:
    made: list[Watcher] = []

    def make(**kwargs: object) -> Watcher:
        w = Watcher(probe, **kwargs)  # type: ignore[arg-type]
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop()


def write(path: Path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def wait_pending(w: Watcher, probe: Probe, path: Path) -> set[str]:
    """Wait for on_change, then take the pending set; it must hold ``path``.

    The sync() before taking records the file's final state, so events still
    in flight for this same save cannot make it pending again afterwards.
    """
    assert probe.wait(), "on_change was not called"
    assert w.has_pending(), "on_change came before the pending set was filled"
    w.sync()
    pending = w.take_pending()
    assert str(path) in pending
    return pending


def replace(path: Path, text: str) -> None:
    """Save the way many editors do: write a temporary file, rename it over."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp, text)
    os.replace(tmp, path)


def test_plain_write(tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    assert w.watched() == {str(mod)}
    assert not w.has_pending()
    write(mod, "x = 22\n")
    assert wait_pending(w, probe, mod) == {str(mod)}
    assert not w.has_pending()
    assert probe.threads == {"freshrepl-notify"}


def test_same_size_edit_same_second(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    for i in range(2, 10):
        before = os.stat(mod)
        write(mod, f"x = {i}\n")
        after = os.stat(mod)
        assert before.st_size == after.st_size
        wait_pending(w, probe, mod)
    # And with no event delivered yet: the barrier alone must see it.
    write(mod, "x = 0\n")
    w.sync()
    assert str(mod) in w.take_pending()


def test_atomic_save(tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    for i in range(3):
        tmp = tmp_path / f".mod.py.{i}.tmp"
        write(tmp, f"x = {i}\n")
        os.replace(tmp, mod)
        pending = wait_pending(w, probe, mod)
        assert pending == {str(mod)}, "the temp file is not watched"


def test_rename_away_and_rewrite(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    """vim with ``backupcopy=no``: move the original to a backup, write anew, drop the backup."""
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    backup = tmp_path / "mod.py~"
    os.rename(mod, backup)
    write(mod, "x = 2\n")
    os.remove(backup)
    assert wait_pending(w, probe, mod) == {str(mod)}
    assert mod.exists()


def test_delete_then_recreate(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    os.remove(mod)
    wait_pending(w, probe, mod)
    write(mod, "x = 1\n")
    wait_pending(w, probe, mod)
    assert w.watched() == {str(mod)}


def test_burst_of_saves(tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 0\n")
    w = make_watcher()
    w.watch([str(mod)])
    for i in range(50):
        write(mod, f"x = {i % 10}\n")
    assert probe.wait()
    w.sync()
    assert w.take_pending() == {str(mod)}
    # Taking the pending set in the middle of a burst loses nothing: the
    # saves after the take make the path pending again.
    for i in range(50):
        write(mod, f"x = {i % 10}\n")
        if i == 25:
            probe.event.clear()  # before the take: a wake-up right after it counts
            w.take_pending()
    assert probe.wait()
    w.sync()
    assert w.take_pending() == {str(mod)}


def test_unwatched_siblings_ignored(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    write(tmp_path / "other.py", "y = 1\n")
    write(tmp_path / ".mod.py.swp", "swap")
    (tmp_path / "__pycache__").mkdir()
    write(tmp_path / "__pycache__" / "mod.cpython.pyc", "pyc")
    os.remove(tmp_path / "other.py")
    w.sync()
    assert not w.has_pending()
    # Events of one directory arrive in order: once the save of mod.py is
    # seen, the siblings' events have been handled too.  (A rename is one
    # event, so exactly one wake-up is expected.)
    replace(mod, "x = 2\n")
    assert wait_pending(w, probe, mod) == {str(mod)}
    assert probe.calls == 1


def test_unwatch_stops_reports(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    write(a, "a = 1\n")
    write(b, "b = 1\n")
    w = make_watcher()
    w.watch([str(a), str(b)])
    w.unwatch([str(a)])
    assert w.watched() == {str(b)}
    write(a, "a = 2\n")
    write(b, "b = 2\n")  # a fence: same directory, so its event comes after a's
    assert wait_pending(w, probe, b) == {str(b)}
    w.unwatch([str(b)])
    assert w.watched() == set()
    assert w._observer is not None
    assert w._observer.directories == set(), "the directory watch is dropped with its last file"
    write(b, "b = 3\n")
    w.sync()
    assert not w.has_pending()
    # Watching again works (the directory is watched anew).
    w.watch([str(b)])
    write(b, "b = 4\n")
    wait_pending(w, probe, b)


def test_unwatch_drops_pending(tmp_path: Path, make_watcher: Callable[..., Watcher]) -> None:
    a = tmp_path / "a.py"
    write(a, "a = 1\n")
    w = make_watcher()
    w.watch([str(a)])
    write(a, "a = 22\n")
    w.sync()
    assert w.has_pending()
    w.unwatch([str(a)])
    assert not w.has_pending()


@pytest.mark.parametrize("atomic", [False, True], ids=["write", "replace"])
def test_sync_barrier(tmp_path: Path, make_watcher: Callable[..., Watcher], atomic: bool) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 0000\n")
    w = make_watcher()
    w.watch([str(mod)])
    tmp = tmp_path / "mod.py.tmp"
    for i in range(200):
        # Same size every time, written and synced with no pause at all.
        if atomic:
            write(tmp, f"x = {i:04d}\n")
            os.replace(tmp, mod)
        else:
            write(mod, f"x = {i:04d}\n")
        w.sync()
        assert str(mod) in w.take_pending(), f"iteration {i}"
    # No write, no report.
    w.sync()
    assert not w.has_pending()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the journal is inotify's")
def test_sync_looks_only_at_touched_files(
    tmp_path: Path, make_watcher: Callable[..., Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps sync() at microseconds with thousands of files (bench/bench_watch.py)."""
    files = [str(tmp_path / f"m{i}.py") for i in range(100)]
    for f in files:
        write(Path(f), "x = 1\n")
    w = make_watcher()
    w.watch(files)
    w.sync()
    looked: list[str] = []
    stat = table_mod.signature

    def counting_stat(path: str) -> table_mod.Signature | None:
        if threading.current_thread() is threading.main_thread():  # not watchdog's
            looked.append(path)
        return stat(path)

    monkeypatch.setattr(table_mod, "signature", counting_stat)
    w.sync()
    assert looked == []
    write(Path(files[7]), "x = 22\n")
    w.sync()
    assert set(looked) == {files[7]}
    assert w.take_pending() == {files[7]}


def test_no_wake_up_while_the_file_is_open_for_writing(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "def f():\n    return 1\n")
    w = make_watcher()
    w.watch([str(mod)])
    with open(mod, "w") as f:  # an editor's save caught between truncate and write
        # The wake-up waits for the writer to close, up to _MAX_DELAY: an
        # idle reload now would load an empty module.  (Not a race: the
        # notifier cannot fire before _MAX_DELAY = 40 ms has passed.)
        assert not probe.event.wait(0.02)
        f.write("def f():\n    return 2\n")
    assert probe.wait()
    assert w.take_pending() == {str(mod)}
    assert mod.read_text() == "def f():\n    return 2\n"


def test_symlinked_file(tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]) -> None:
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / "mod.py"
    write(real, "x = 1\n")
    link = link_dir / "mod.py"
    link.symlink_to(real)
    w = make_watcher()
    w.watch([str(link)])
    write(real, "x = 2\n")
    assert wait_pending(w, probe, link) == {str(link)}


def test_deleted_directory_is_polled(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    mod = pkg / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.poll_interval = 0.02
    w.watch([str(mod)])
    os.remove(mod)
    pkg.rmdir()
    wait_pending(w, probe, mod)
    pkg.mkdir()
    write(mod, "x = 1\n")
    wait_pending(w, probe, mod)


def test_recreated_directory_is_watched_again(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    mod, other = pkg / "mod.py", pkg / "other.py"
    write(mod, "x = 1\n")
    w = make_watcher()
    w.poll_interval = 3600  # only events can wake us within the test
    w.watch([str(mod)])
    os.remove(mod)
    pkg.rmdir()
    wait_pending(w, probe, mod)
    pkg.mkdir()
    write(other, "y = 1\n")
    w.watch([str(other)])
    write(other, "y = 2\n")
    assert wait_pending(w, probe, other) == {str(other)}


class _FailingObserver:
    """Stands in for watchdog's Observer; fails the way a full system does."""

    def __init__(self, fail_in: str, err: int) -> None:
        self.fail_in, self.err = fail_in, err
        self.stopped = False

    def __call__(self) -> _FailingObserver:
        return self

    def _maybe_fail(self, where: str) -> None:
        if where == self.fail_in:
            raise OSError(self.err, os.strerror(self.err))

    def start(self) -> None:
        self._maybe_fail("start")

    def schedule(self, handler: object, path: str, *, recursive: bool) -> object:
        self._maybe_fail("schedule")
        return object()

    def stop(self) -> None:
        self.stopped = True

    def join(self, timeout: float | None = None) -> None:
        pass


@pytest.mark.parametrize(
    ("fail_in", "err", "reason"),
    [
        ("schedule", errno.ENOSPC, "inotify watch limit reached"),
        ("start", errno.EMFILE, "inotify instance limit reached"),
    ],
)
def test_polling_fallback(
    tmp_path: Path,
    probe: Probe,
    make_watcher: Callable[..., Watcher],
    monkeypatch: pytest.MonkeyPatch,
    fail_in: str,
    err: int,
    reason: str,
) -> None:
    import watchdog.observers

    failing = _FailingObserver(fail_in, err)
    monkeypatch.setattr(watchdog.observers, "Observer", failing)
    a, b = tmp_path / "a.py", tmp_path / "sub" / "b.py"
    b.parent.mkdir()
    write(a, "x = 1\n")
    write(b, "y = 1\n")
    w = make_watcher()
    w.poll_interval = 0.02
    w.watch([str(a)])
    assert w.fallback_warning == f"{reason}; polling for changes every 0.02 s"
    if fail_in == "schedule":
        assert failing.stopped
    w.fallback_warning = None  # the shell prints it once and clears it
    w.watch([str(b)])
    assert w.fallback_warning is None, "the warning is given once"
    write(a, "x = 2\n")
    wait_pending(w, probe, a)
    # Same size, same second: the poller compares bytes of young files.
    write(a, "x = 3\n")
    wait_pending(w, probe, a)
    os.replace(tmp_path / "a.py", b)
    assert probe.wait()
    w.sync()
    assert w.take_pending() == {str(a), str(b)}


def test_forced_polling(tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    w = make_watcher(polling=True)
    w.poll_interval = 0.02
    w.watch([str(mod)])
    assert w._observer is None
    write(mod, "x = 2\n")
    wait_pending(w, probe, mod)
    write(mod, "x = 3\n")
    w.sync()
    assert w.take_pending() == {str(mod)}


def test_on_change_exception_does_not_kill_watching(tmp_path: Path) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    seen = threading.Event()

    def on_change() -> None:
        seen.set()
        raise RuntimeError("shell bug")

    w = Watcher(on_change)
    try:
        w.watch([str(mod)])
        write(mod, "x = 2\n")
        assert seen.wait(TIMEOUT)
        seen.clear()
        w.take_pending()
        write(mod, "x = 3\n")
        assert seen.wait(TIMEOUT)
    finally:
        w.stop()


def test_watchdog_imported_lazily() -> None:
    code = (
        "import sys\n"
        "from freshrepl.watch.watcher import Watcher\n"
        "w = Watcher(lambda: None)\n"
        "assert 'watchdog' not in sys.modules, 'imported too early'\n"
        "w.watch([__import__('os').path.abspath('nonexistent_dir/x.py')])\n"
        "assert 'watchdog' in sys.modules\n"
        "w.stop()\n"
    )
    env = dict(os.environ)
    src = str(Path(watch_mod.__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=30)


def test_missing_directory_is_polled(
    tmp_path: Path, probe: Probe, make_watcher: Callable[..., Watcher]
) -> None:
    mod = tmp_path / "gone" / "mod.py"
    w = make_watcher()
    w.poll_interval = 0.02
    w.watch([str(mod)])
    assert w.fallback_warning is None, "one unwatchable directory is not a reason to poll everything"
    mod.parent.mkdir()
    write(mod, "x = 1\n")
    wait_pending(w, probe, mod)


def test_stop_is_clean(tmp_path: Path, probe: Probe) -> None:
    before = set(threading.enumerate())
    mods = []
    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
        mods.append(tmp_path / d / "mod.py")
        write(mods[-1], "x = 1\n")
    w = Watcher(probe)
    w.watch([str(m) for m in mods])
    write(mods[0], "x = 2\n")
    assert probe.wait()
    t0 = time.perf_counter()
    w.stop()
    assert time.perf_counter() - t0 < 1.0
    w.stop()  # idempotent
    w.watch([str(mods[1])])  # a no-op once stopped
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert all(t.daemon for t in leftover), leftover
    for t in leftover:
        t.join(TIMEOUT)
    assert not [t for t in leftover if t.is_alive()]


def test_stop_lets_interpreter_exit(tmp_path: Path) -> None:
    mod = tmp_path / "mod.py"
    write(mod, "x = 1\n")
    code = (
        "import sys\n"
        "from freshrepl.watch.watcher import Watcher\n"
        "w = Watcher(lambda: None)\n"
        f"w.watch([{str(mod)!r}])\n"
        "w2 = Watcher(lambda: None, polling=True)\n"
        f"w2.watch([{str(mod)!r}])\n"
        "w.stop()\n"
        # w2 is left running on purpose: its thread must not block exit either.
    )
    env = dict(os.environ)
    src = str(Path(watch_mod.__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=10)


def test_concurrent_watch_unwatch_and_events(tmp_path: Path, probe: Probe) -> None:
    files = [tmp_path / f"m{i}.py" for i in range(20)]
    for f in files:
        write(f, "x = 0\n")
    w = Watcher(probe)
    done = threading.Event()

    def writer() -> None:
        i = 0
        while not done.is_set():
            write(files[i % len(files)], f"x = {i % 10}\n")
            i += 1

    t = threading.Thread(target=writer, daemon=True)
    try:
        w.watch([str(f) for f in files])
        t.start()
        for i in range(100):
            half = [str(f) for f in files[i % 2 :: 2]]
            w.unwatch(half)
            w.sync()
            w.take_pending()
            w.watch(half)
        done.set()
        t.join(TIMEOUT)
        # Everything settles: a last write to every file is seen.
        for f in files:
            write(f, "x = 99\n")
        w.sync()
        assert w.take_pending() == {str(f) for f in files}
    finally:
        done.set()
        w.stop()


def test_sync_barrier_after_the_directory_is_deleted_and_recreated(
    tmp_path: Path, make_watcher: Callable[..., Watcher]
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    mod = pkg / "mod.py"
    write(mod, "x = 0\n")
    w = make_watcher()
    w.watch([str(mod)])
    shutil.rmtree(pkg)
    w.sync()
    w.take_pending()
    pkg.mkdir()
    write(mod, "x = 1\n")
    w.sync()
    w.take_pending()
    for i in range(2, 6):
        write(mod, f"x = {i}\n")  # same size: only a look at the file itself can tell
        w.sync()
        assert str(mod) in w.take_pending(), f"write {i}"
