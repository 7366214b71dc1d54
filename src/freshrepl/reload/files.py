"""The per-file check: has a tracked module's source changed since it was loaded?"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from freshrepl.digests import bytes_digest
from freshrepl.protocol import DELETED, FAILED, UNCHANGED, UNSAFE, ReloadResult
from freshrepl.reload.hook import Loaded, decode, read_bytes
from freshrepl.reload.rules import extension_changed


@dataclass
class FileCheck:
    """What one file's check found: new ``text`` to apply, or a ``result`` to report
    as it is (deleted, unreadable, a changed extension), or neither (nothing to do)."""

    text: str | None = None
    result: ReloadResult | None = None


def check_file(entry: Loaded) -> FileCheck:
    """Compare the file on disk with the exact source that ran (never mtimes)."""

    def report(status: str, **fields: Any) -> FileCheck:
        return FileCheck(result=ReloadResult(entry.name, entry.path, status, **fields))

    try:
        data = read_bytes(entry.path)
    except FileNotFoundError:
        entry.deleted = True
        return report(DELETED, detail="source file deleted; loaded code stays in use")
    except OSError as exc:
        return report(FAILED, error=f"{type(exc).__name__}: {exc}")
    reappeared, entry.deleted = entry.deleted, False
    if data == entry.data:  # the very bytes it ran from: nothing to decode
        return report(UNCHANGED) if reappeared else FileCheck()
    if not entry.has_source:
        if bytes_digest(data) == entry.digest:
            return report(UNCHANGED) if reappeared else FileCheck()
        return report(UNSAFE, detail=extension_changed(entry.name))
    try:
        text = decode(data)
    except (SyntaxError, UnicodeDecodeError) as exc:
        return report(
            FAILED,
            location=f"{os.path.basename(entry.path)}:1",
            error=f"{type(exc).__name__}: {exc}",
        )
    if text == entry.text:
        return report(UNCHANGED) if reappeared else FileCheck()
    return FileCheck(text=text)


def read_text(entry: Loaded) -> str | None:
    """The file's current text, or None if it cannot be read or decoded."""
    try:
        with open(entry.path, "rb") as handle:
            return decode(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None

