"""Pages written since a fork are learnt from Linux's page flags, and copied after the next fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from freshrepl.kernel import warm_pages
from freshrepl.kernel.warm_pages import LEARN_EVERY, MOST_PAGES, WarmPages

linux_only = pytest.mark.skipif(not WarmPages().usable, reason="needs Linux's /proc/self/pagemap")

# A buffer of 64 pages shared with a paused child: pages 10-19 are written after the
# fork, pages 30-39 are copied without a write; the rest stay shared.
_PROBE = textwrap.dedent("""
    import ctypes, os, sys
    from freshrepl.kernel.warm_pages import copy_now, written_since_fork
    page = os.sysconf("SC_PAGE_SIZE")
    buffer = bytearray(b"x" * (66 * page))
    start = -ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer)) % page
    first = ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer)) + start
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.read(read_end, 1)
        os._exit(0)

    def alone(runs):  # the buffer's pages among the runs, by index
        indexes = set()
        for run_start, size in runs:
            for address in range(run_start, run_start + size, page):
                if 0 <= (address - first) // page < 64:
                    indexes.add((address - first) // page)
        return indexes

    for index in range(10, 20):
        buffer[start + index * page] = ord("y")
    written = alone(written_since_fork(page))
    if not copy_now([(first + 30 * page, 10 * page)]):
        print("unsupported")
        sys.exit(0)
    after_copy = alone(written_since_fork(page))
    os.write(write_end, b"x")
    os.waitpid(child, 0)
    unchanged = buffer.count(b"x") == len(buffer) - 10
    print(sorted(written) == list(range(10, 20)), sorted(after_copy) == list(range(10, 20)) + list(range(30, 40)), unchanged)
""")


@linux_only
def test_the_pages_written_since_a_fork_are_found_and_copied_without_a_change():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    if out == ["unsupported"]:
        pytest.skip("this Linux has no MADV_POPULATE_WRITE (5.14)")
    assert out == ["True", "True", "True"]


class _Recorded:
    """``written_since_fork`` and ``copy_now`` replaced: what was learnt and copied, when."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, pages: int = 10) -> None:
        self.first, self.pages, self.lessons = 0, pages, 0
        self.copied: list[list[tuple[int, int]]] = []
        monkeypatch.setattr(warm_pages, "written_since_fork", self._written)
        monkeypatch.setattr(warm_pages, "copy_now", self._copy)

    def _written(self, page: int) -> list[tuple[int, int]]:
        self.lessons += 1
        return [((0x100 + self.first) * page, self.pages * page)]

    def _copy(self, runs: list[tuple[int, int]]) -> bool:
        self.copied.append(runs)
        return True


def _forks(warm: WarmPages, count: int) -> None:
    for _ in range(count):
        warm.before_fork()
        warm.after_fork()


def _warm_pages() -> WarmPages:
    warm = WarmPages()
    warm.usable = True
    return warm


def test_two_lessons_then_copies_and_one_fork_in_each_round_copies_nothing(monkeypatch):
    recorded = _Recorded(monkeypatch)
    warm = _warm_pages()
    _forks(warm, 1)
    assert (recorded.lessons, len(recorded.copied)) == (1, 0)  # one lesson is not enough
    _forks(warm, 1)
    assert (recorded.lessons, len(recorded.copied)) == (2, 1)
    _forks(warm, LEARN_EVERY - 2)
    assert (recorded.lessons, len(recorded.copied)) == (2, LEARN_EVERY - 1)
    _forks(warm, 1)  # copies nothing: the next fork can learn
    assert (recorded.lessons, len(recorded.copied)) == (2, LEARN_EVERY - 1)
    _forks(warm, 1)
    assert (recorded.lessons, len(recorded.copied)) == (3, LEARN_EVERY)


def test_only_the_pages_written_in_both_lessons_are_copied(monkeypatch):
    recorded = _Recorded(monkeypatch)
    warm = _warm_pages()
    _forks(warm, 1)  # pages 0x100-0x109
    recorded.first = 5  # pages 0x105-0x10e
    _forks(warm, 1)
    page = os.sysconf("SC_PAGE_SIZE")
    assert recorded.copied == [[(0x105 * page, 5 * page)]]


def test_too_many_pages_are_not_learnt_and_the_next_fork_tries_again(monkeypatch):
    recorded = _Recorded(monkeypatch, pages=MOST_PAGES + 1)
    warm = _warm_pages()
    _forks(warm, 3)
    assert (recorded.lessons, len(recorded.copied)) == (3, 0)
    recorded.pages = 10
    _forks(warm, 2)
    assert (recorded.lessons, len(recorded.copied)) == (5, 1)


def test_where_copying_fails_it_is_not_tried_again(monkeypatch):
    recorded = _Recorded(monkeypatch)
    monkeypatch.setattr(warm_pages, "copy_now", lambda runs: False)
    warm = _warm_pages()
    _forks(warm, 6)
    assert recorded.lessons == 2 and not warm.usable


def test_an_odd_proc_turns_it_off_and_never_raises(monkeypatch):
    def unreadable(page: int) -> list[tuple[int, int]]:
        raise ValueError("not the format of Linux's /proc/self/maps")

    monkeypatch.setattr(warm_pages, "written_since_fork", unreadable)
    warm = _warm_pages()
    _forks(warm, 3)
    assert not warm.usable and warm.pages == []
