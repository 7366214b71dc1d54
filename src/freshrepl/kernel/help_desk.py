"""Answering the shell's help requests (completion, signatures, docs) without running user code.

Completion and signatures are asked for as the user types, so they must never
hold up an input: a completion reading a long listing stops as soon as another
request waits (``should_stop``).  The modules that answer them load on first
use, outside the user's ``sys.path``, so the kernel's start-up stays lean.
"""

from __future__ import annotations

from freshrepl import protocol
from freshrepl.kernel.imports import without_user_path

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class HelpDesk:
    """Answers about the names in ``namespace``; ``request_waiting`` says a request is queued."""

    def __init__(self, namespace: dict[str, Any], request_waiting: Callable[[], bool]) -> None:
        self.namespace = namespace
        self.request_waiting = request_waiting

    def complete(self, request: protocol.CompleteRequest) -> protocol.CompleteReply:
        with without_user_path():
            from freshrepl.kernel.completer import complete
        try:
            # A request arriving meanwhile (an input to run) ends a long listing.
            matches, start = complete(request.text, self.namespace, should_stop=self.request_waiting)
        except Exception:  # Abandoned, or an odd object in the namespace
            matches, start = [], 0
        return protocol.CompleteReply(matches, start)

    def signature(self, request: protocol.SignatureRequest) -> protocol.SignatureReply:
        with without_user_path():
            from freshrepl.kernel.introspect import signature_at
        try:
            site, found = signature_at(request.text, self.namespace)
        except Exception:  # asked as the user types: an odd object shows no signature, no error
            return protocol.SignatureReply()
        if site is None:
            return protocol.SignatureReply()
        return protocol.SignatureReply(site.callee, found, site.argument, site.keyword)

    def doc(self, request: protocol.DocRequest) -> protocol.DocReply:
        with without_user_path():
            from freshrepl.kernel.introspect import doc_text
        name = request.name.strip()
        try:
            text = doc_text(name, self.namespace)
        except Exception as exc:  # the object's own __doc__ or signature failed
            return protocol.DocReply(False, f"cannot show {name}: {exc!r}")
        return protocol.DocReply(text is not None, text or "")
