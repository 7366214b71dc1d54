"""Tab completion for the editor, answered by the live kernel.

Asked as the user types, so it must never hold anything up: only the text
``help_context`` keeps is sent (none for an overlong line), and a request
gives way to an input to run or to a newer request (``KernelClient``).
"""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from freshrepl.shell.kernel_client import KernelClient, KernelDied, KernelError
from freshrepl.source_text import help_context

# A completion must never freeze typing: a busy or starting kernel offers nothing.
_TIMEOUT = 1.0


class KernelCompleter(Completer):
    """Asks the kernel for names, attributes, keywords and module names."""

    def __init__(self, kernel: KernelClient) -> None:
        self.kernel = kernel

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        before = help_context(document.text_before_cursor)
        if before is None or document.text.lstrip().startswith(":"):
            return
        try:
            reply = self.kernel.complete(before, timeout=_TIMEOUT)
        except (KernelDied, KernelError, TimeoutError, OSError):  # TimeoutError: Superseded too
            return
        for match in reply.matches:
            replaced = before[len(before) + reply.start:]
            yield Completion(match, start_position=reply.start, display=_short(match, replaced))


def _short(match: str, replaced: str) -> str:
    """Show ``os.path`` as ``path`` in the menu: the part being completed.

    Only a dotted name being typed is shortened; a file name such as
    ``setup.cfg`` inside a string is shown whole.
    """
    dotted_name = "." in replaced and replaced.replace(".", "_").isidentifier()
    if dotted_name and not match.endswith("."):
        return match.rsplit(".", 1)[-1]
    return match
