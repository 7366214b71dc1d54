"""Unit tests for freshrepl.watch.table: the file table on real files, no threads, no watcher."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from freshrepl.watch import table as table_mod
from freshrepl.watch.table import FileTable


def write(path: Path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


@pytest.fixture
def mod(tmp_path: Path) -> Path:
    path = tmp_path / "mod.py"
    write(path, "x = 1\n")
    return path


def test_add_is_once_per_file(mod: Path) -> None:
    table = FileTable()
    assert table.add(str(mod)) == str(mod)
    assert table.add(str(mod)) is None
    assert table.add(str(mod.parent / "." / mod.name)) is None, "same key, another spelling"
    assert table.paths() == {str(mod)}
    assert len(table) == 1
    assert not table.has_pending()


def test_reports_the_callers_spelling(mod: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(mod.parent)
    table = FileTable()
    assert table.add("mod.py") == str(mod)
    write(mod, "x = 22\n")
    assert table.refresh([str(mod)]) == [str(mod)]
    assert table.take_pending() == {"mod.py"}


def test_a_change_is_pending_once(mod: Path) -> None:
    table = FileTable()
    key = table.add(str(mod))
    assert key is not None
    assert table.refresh([key]) == []
    write(mod, "x = 22\n")
    assert table.refresh([key]) == [key]
    assert table.refresh([key]) == [], "the new state is recorded"
    assert table.take_pending() == {str(mod)}
    assert table.take_pending() == set()


def test_atomic_replace_delete_and_recreate(mod: Path) -> None:
    table = FileTable()
    key = str(mod)
    table.add(key)
    tmp = mod.with_name(".mod.py.tmp")
    write(tmp, "x = 1\n")  # same bytes, another inode
    os.replace(tmp, mod)
    assert table.refresh([key]) == [key]
    os.remove(mod)
    assert table.refresh([key]) == [key]
    assert table.refresh([key]) == [], "still missing is no news"
    write(mod, "x = 1\n")
    assert table.refresh([key]) == [key]
    assert table.take_pending() == {key}


def test_a_missing_file_can_be_tracked(tmp_path: Path) -> None:
    table = FileTable()
    key = str(tmp_path / "later.py")
    table.add(key)
    assert table.refresh([key]) == []
    write(tmp_path / "later.py", "")
    assert table.refresh([key]) == [key]


def _frozen_signature(monkeypatch: pytest.MonkeyPatch, ctime_ns: int) -> None:
    """Make every stat look the same: only the bytes can tell an edit then."""
    sig = (1, 2, 6, 0, ctime_ns)
    monkeypatch.setattr(table_mod, "signature", lambda path: sig)


def test_racy_file_compares_bytes(mod: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _frozen_signature(monkeypatch, time.time_ns())  # written just now: racy
    table = FileTable()
    key = str(mod)
    table.add(key)
    assert table.refresh([key]) == []
    write(mod, "x = 2\n")  # same size, and the signature cannot tell
    assert table.refresh([key]) == [key]
    assert table.refresh([key]) == []


def test_old_file_is_not_read(mod: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ctime a second old: any later write must change it, so the bytes are not
    # kept; with the signature frozen, an edit is (by design) invisible.
    _frozen_signature(monkeypatch, time.time_ns() - 1_000_000_001)
    table = FileTable()
    key = str(mod)
    table.add(key)
    reads: list[str] = []

    def read(path: str) -> bytes:
        reads.append(path)
        return b""

    monkeypatch.setattr(table_mod, "_read", read)
    write(mod, "x = 2\n")
    assert table.refresh([key]) == []
    assert reads == []


def test_whole_second_timestamps_stay_racy_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time_ns()
    second = now - now % 1_000_000_000 - 1_000_000_000  # a whole second, 1-2 s ago
    assert table_mod._is_racy((0, 0, 0, 0, second))
    assert not table_mod._is_racy((0, 0, 0, 0, second + 1))
    assert not table_mod._is_racy(None)


def test_remove_drops_pending_and_reports_emptied_dirs(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    write(a, "a = 1\n")
    write(b, "b = 1\n")
    table = FileTable()
    table.add(str(a))
    table.add(str(b))
    write(a, "a = 22\n")
    table.refresh(table.keys())
    assert table.has_pending()
    assert table.remove(str(a)) == (str(a), [])
    assert not table.has_pending()
    assert table.remove(str(a)) is None
    assert table.is_dir(str(tmp_path))
    assert table.remove(str(b)) == (str(b), [str(tmp_path)])
    assert not table.is_dir(str(tmp_path))
    assert table.keys_named([str(a), str(b)]) == set()
    assert table.refresh([str(a)]) == [], "a key no longer tracked is skipped"


def test_symlink_is_known_by_both_paths(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()  # no symlink above ours (macOS: /var)
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    write(real_dir / "mod.py", "x = 1\n")
    link = link_dir / "mod.py"
    link.symlink_to(real_dir / "mod.py")
    table = FileTable()
    key = str(link)
    table.add(key)
    assert table.dirs_of([key]) == [str(link_dir), str(real_dir)]
    assert table.all_dirs() == [str(link_dir), str(real_dir)]
    assert table.keys_named([str(real_dir / "mod.py")]) == {key}
    assert table.keys_named([str(link)]) == {key}
    assert table.keys_in([str(real_dir)]) == {key}
    assert table.remove(str(link)) == (key, [str(link_dir), str(real_dir)])


def test_lookups_by_directory(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    (tmp_path / "p").mkdir()
    files = [tmp_path / "a.py", tmp_path / "p" / "b.py", tmp_path / "p" / "c.py"]
    table = FileTable()
    keys = [str(f) for f in files]
    for key in keys:
        table.add(key)
    assert table.dirs_of(keys) == [str(tmp_path), str(tmp_path / "p")]
    assert table.keys_in([str(tmp_path / "p")]) == {str(files[1]), str(files[2])}
    assert table.keys_in([str(tmp_path / "elsewhere")]) == set()
    assert table.keys_named([str(tmp_path / "p" / "other.py")]) == set()


def test_a_batch_resolves_symlinks_as_realpath_does(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.py").write_text("")
    (real / "target.py").write_text("")
    (real / "link.py").symlink_to(real / "target.py")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    real_dirs: dict[str, str] = {}
    for name in ("a.py", "link.py", "target.py", "missing.py"):
        for directory in (real, tmp_path / "alias"):
            file = str(directory / name)
            assert table_mod._real_path(file, real_dirs) == os.path.realpath(file), file
    assert real_dirs == {str(real): str(real), str(tmp_path / "alias"): str(real)}
