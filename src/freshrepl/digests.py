"""How a source file is fingerprinted (both processes): SHA-256 of its bytes, or of its decoded text.

A list of fingerprints travels as one string (``pack_files``), in a file of
its own (``write_listing``): a checkpoint of a kernel with thousands of
modules would otherwise make thousands of small objects on both sides, which
the allocators keep long after, and overflow the notice it goes with.

The kernel records these for what it loaded (extensions, checkpoints) and
the shell compares them with the files on disk, so both must compute them
one way.  The SHA-256 is python's built-in one, not ``hashlib``'s: that loads
OpenSSL, 3.5 MiB of resident memory the kernel would keep for a digest of
some kilobytes (user code that imports hashlib still gets it, as in python3).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

BYTES = "bytes"  # the digest of the file's bytes
TEXT = "text"  # the digest of the decoded source, encoded as UTF-8


def bytes_digest(data: bytes) -> str:
    return _sha256()(data).hexdigest()


def _sha256() -> Any:
    """Python's own SHA-256 constructor (its module's name changed in 3.12)."""
    if not _SHA256:
        for name in ("_sha2", "_sha256"):
            try:
                _SHA256.append(__import__(name).sha256)
                break
            except ImportError:
                continue
        else:  # a python built without it
            from hashlib import sha256

            _SHA256.append(sha256)
    return _SHA256[0]


_SHA256: list[Any] = []


def text_digest(text: str) -> str:
    return bytes_digest(text.encode("utf-8", "surrogatepass"))


def file_digest(path: str, kind: str) -> str | None:
    """The ``kind`` digest of the file at ``path`` now; None if it cannot be read or decoded."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if kind == BYTES:
        return bytes_digest(data)
    from importlib.util import decode_source

    try:
        return text_digest(decode_source(data))
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def pack_files(files: Iterable[tuple[str, str, str]]) -> bytearray:
    """``(path, kind, digest)`` triples as UTF-8, each field ended by NUL (no path holds one).

    Each triple's text is freed as soon as it is added: thousands of small
    strings alive at once would leave the heap fragmented for good.
    """
    packed = bytearray()
    for path, kind, digest in files:
        packed += f"{path}\0{kind}\0{digest}\0".encode("utf-8", "surrogateescape")
    return packed


def unpack_files(packed: str) -> Iterator[tuple[str, str, str]]:
    """The triples of a listing (``read_listing``'s text)."""
    fields = packed.split("\0")
    for i in range(0, len(fields) - 2, 3):
        yield fields[i], fields[i + 1], fields[i + 2]


def write_listing(packed: bytes | bytearray) -> int:
    """A descriptor of an unnamed file holding ``packed`` (it goes with a notice; see read_listing)."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:  # Linux: memory, no file system
        fd = memfd_create("freshrepl-files", os.MFD_CLOEXEC)
    else:
        import tempfile

        with tempfile.TemporaryFile() as handle:  # unlinked at once
            fd = os.dup(handle.fileno())
    try:
        view = memoryview(packed)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_listing(fd: int) -> str:
    """What ``write_listing`` wrote, read from its start, as text; closes ``fd``."""
    try:
        size, parts, offset = os.fstat(fd).st_size, [], 0
        while offset < size:
            part = os.pread(fd, size - offset, offset)
            if not part:
                break
            parts.append(part)
            offset += len(part)
    finally:
        os.close(fd)
    return b"".join(parts).decode("utf-8", "surrogateescape")
