"""How a source file is fingerprinted (both processes): SHA-256 of its bytes, or of its decoded text.

A list of fingerprints travels in a file of its own (``write_listing``): a
checkpoint of a kernel with thousands of modules would overflow the message it
goes with, and a list of thousands of small objects would leave both
processes' heaps grown for good.

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


def write_listing(files: Iterable[tuple[str, str, str]]) -> int:
    """A descriptor of an unnamed file listing ``(path, kind, digest)`` triples (see read_listing).

    UTF-8, each field ended by NUL (no path holds one).  Each triple is
    written as it comes: thousands of small strings alive at once, or one big
    buffer, would leave the kernel's heap grown for good.
    """
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:  # Linux: memory, no file system
        fd = memfd_create("freshrepl-files", os.MFD_CLOEXEC)
    else:
        import tempfile

        with tempfile.TemporaryFile() as handle:  # unlinked at once
            fd = os.dup(handle.fileno())
    try:
        with open(fd, "wb", closefd=False) as out:
            for path, kind, digest in files:
                out.write(f"{path}\0{kind}\0{digest}\0".encode("utf-8", "surrogateescape"))
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


def unpack_files(listing: str) -> Iterator[tuple[str, str, str]]:
    """The triples of a listing (``read_listing``'s text)."""
    fields = listing.split("\0")
    for i in range(0, len(fields) - 2, 3):
        yield fields[i], fields[i + 1], fields[i + 2]
