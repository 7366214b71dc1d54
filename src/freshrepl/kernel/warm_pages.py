"""Owns copying, right after a fork, the pages the next input will write (Linux): not on its way.

A checkpoint is a fork: it shares every page with the kernel, and the first
write to a shared page copies it, a page fault each.  Python writes a page
just by taking a reference to an object on it, so the first input after
``:undo``'s idle checkpoint paid several hundred copies between Enter and its
result (0.4 ms here), and more on the way to the next prompt.

Which pages an input writes hardly changes from one input to the next (the
interpreter's stacks and pools, the objects every input touches).  Linux says,
in ``/proc/self/pagemap``, which pages a process holds alone: right before a
fork, with the previous checkpoint still alive, those are the pages written
(or newly allocated) since that fork.  Right after the fork they are copied at
once with ``madvise(MADV_POPULATE_WRITE)``, which makes the copy a write
would, without writing a byte.

A page copied that way is held alone too, so the pages cannot be learnt after
a fork that copied some: every ``LEARN_EVERY`` forks, one copies nothing and
the next learns anew (the input after that one fork pays its copies, as
before).  Only the pages written in two lessons running are copied: memory an
input allocated once (its new objects) is not copied again and again, and
each checkpoint holds little more than the pages the next input would have
copied anyway.  Elsewhere (no pagemap, a kernel before 5.14) nothing is done.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Forks between two lessons (the one before a lesson copies nothing).
LEARN_EVERY = 16
# More pages than this were written since the last fork: a burst of work (data
# loaded), or no earlier checkpoint shared them; copying them all would cost more
# memory than it saves time, so nothing is learnt this time.
MOST_PAGES = 4096
# Mappings this large are skipped: a big array is written by the code that uses
# it, not by every input (and reading its page flags would take long).
LARGEST_MAPPING = 256 << 20
_MADV_POPULATE_WRITE = 23  # Linux 5.14
# The last byte of a pagemap entry: bit 63 present, 62 swapped, 61 a file page
# (or shared), 56 mapped by this process alone.  Written private pages: present,
# anonymous, held alone.
_PRESENT, _SWAPPED, _FILE, _ALONE = 0x80, 0x40, 0x20, 0x01
_WRITTEN = bytes(
    0x31 if flags & (_PRESENT | _SWAPPED | _FILE | _ALONE) == _PRESENT | _ALONE else 0x30
    for flags in range(256)
)
_RUN = re.compile(b"1+")

Runs = list[tuple[int, int]]  # (address, length) of the pages to copy


class WarmPages:
    """Learns the pages inputs write (before a fork) and copies them (after it)."""

    def __init__(self) -> None:
        self.usable = sys.platform == "linux" and os.access("/proc/self/pagemap", os.R_OK)
        self.pages: Runs = []  # to copy after each fork
        self._lesson: set[int] | None = None  # the page numbers the last lesson found
        self._forks_since_lesson = LEARN_EVERY  # a lesson is due
        self._copied_last = False  # the last fork copied pages: nothing can be learnt now

    def before_fork(self) -> None:
        """Learn, if due and possible, what was written since the last fork."""
        if not self.usable or self._copied_last or self._forks_since_lesson < LEARN_EVERY:
            return
        try:
            self._learn(os.sysconf("SC_PAGE_SIZE"))
        except Exception:  # an odd /proc (a sandbox): never the kernel's end
            self.usable, self.pages, self._lesson = False, [], None

    def _learn(self, page: int) -> None:
        runs = written_since_fork(page)
        if sum(size for _, size in runs) > MOST_PAGES * page:
            self._lesson, self.pages = None, []  # not now: the next fork tries again
            return
        lesson = {address // page + i for address, size in runs for i in range(size // page)}
        if self._lesson is not None:  # else a second lesson follows at the next fork
            self.pages = _runs_of(lesson & self._lesson, page)
            self._forks_since_lesson = 0
        self._lesson = lesson

    def after_fork(self) -> None:
        """In the kernel, right after the fork: copy the learnt pages, or nothing before a lesson."""
        self._forks_since_lesson += 1
        self._copied_last = bool(self.pages) and self._forks_since_lesson < LEARN_EVERY
        try:
            copied = not self._copied_last or copy_now(self.pages)
        except Exception:
            copied = False
        if not copied:
            self.usable, self.pages, self._copied_last = False, [], False


def _runs_of(numbers: set[int], page: int) -> Runs:
    """The page numbers ``numbers`` as (address, length) runs."""
    runs: Runs = []
    for number in sorted(numbers):
        address = number * page
        if runs and runs[-1][0] + runs[-1][1] == address:
            runs[-1] = (runs[-1][0], runs[-1][1] + page)
        else:
            runs.append((address, page))
    return runs


def written_since_fork(page: int) -> Runs:
    """The private pages this process holds alone, in runs."""
    runs: Runs = []
    with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
        for start, end in _private_writable_mappings():
            if end - start > LARGEST_MAPPING:
                continue
            pagemap.seek(start // page * 8)
            entries = pagemap.read((end - start) // page * 8)
            # One byte per page ('1': written), then the runs of '1's.
            for run in _RUN.finditer(entries[7::8].translate(_WRITTEN)):
                runs.append((start + run.start() * page, (run.end() - run.start()) * page))
    return runs


def _private_writable_mappings() -> Iterator[tuple[int, int]]:
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split(None, 2)[:2]
            if perms[:2] == "rw" and perms[3] == "p":
                low, high = span.split("-")
                yield int(low, 16), int(high, 16)


def copy_now(runs: Runs) -> bool:
    """Copy the pages of ``runs`` as a write would, writing nothing; False if Linux cannot."""
    madvise = _madvise()
    if madvise is None:
        return False
    import ctypes  # loaded by _madvise

    for start, size in runs:
        # Unmapped since it was learnt (ENOMEM) or not copy-on-write (EFAULT): skipped.
        # EINVAL: this Linux has no such advice.
        if madvise(start, size, _MADV_POPULATE_WRITE) != 0 and ctypes.get_errno() == errno.EINVAL:
            return False
    return True


@functools.cache
def _madvise() -> Callable[[int, int, int], int] | None:
    """libc's ``madvise`` (through ctypes, loaded off the user's path), looked up once."""
    try:
        from freshrepl.kernel.imports import load_shielded

        load_shielded("ctypes")
        import ctypes

        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (ImportError, OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise
