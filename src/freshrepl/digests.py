"""How a source file is fingerprinted (both processes): SHA-256 of its bytes, or of its decoded text.

The kernel records these for what it loaded (extensions, checkpoints) and
the shell compares them with the files on disk, so both must compute them
one way.  ``hashlib`` is imported when first needed: it loads OpenSSL, which
start-up does without.
"""

from __future__ import annotations

BYTES = "bytes"  # the digest of the file's bytes
TEXT = "text"  # the digest of the decoded source, encoded as UTF-8


def bytes_digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


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
