"""How a source file is fingerprinted (both processes): SHA-256 of its bytes, or of its decoded text.

The kernel records these for what it loaded (extensions, checkpoints) and
the shell compares them with the files on disk, so both must compute them
one way.  The SHA-256 is python's built-in one, not ``hashlib``'s: that loads
OpenSSL, 3.5 MiB of resident memory the kernel would keep for a digest of
some kilobytes (user code that imports hashlib still gets it, as in python3).
"""

from __future__ import annotations

BYTES = "bytes"  # the digest of the file's bytes
TEXT = "text"  # the digest of the decoded source, encoded as UTF-8


def bytes_digest(data: bytes) -> str:
    return _sha256()(data).hexdigest()


def _sha256():  # noqa: ANN202  (a hash constructor; which module has it varies)
    try:
        from _sha2 import sha256  # 3.12 on
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # up to 3.11
        except ImportError:  # a python built without it
            from hashlib import sha256  # type: ignore[assignment]
    return sha256


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
