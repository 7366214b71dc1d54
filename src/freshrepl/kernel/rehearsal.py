"""Owns the rehearsal of an input right after a fork: the pages every input writes, copied while idle.

A checkpoint shares the kernel's memory, and the first write to each shared
page copies it (a page fault each).  Right after ``:undo``'s idle checkpoint
the next input would pay for the pages any input writes -- the compiler's,
the eval loop's stack, the small-object pools, pickling a reply -- between
Enter and its result: about 80 pages, half a millisecond.  Going through that
path once while the user is still typing copies them then.

Nothing of the user's runs or changes: the practice code is compiled by the
console's compiler (it only remembers ``from __future__`` imports; there are
none) and run in a namespace of its own, and not at all while a tracer or
profiler the user set could see it.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable

from freshrepl import protocol
from freshrepl.channel import dumps, loads

# Touches ints, floats, strings, tuples, lists, dicts and a call frame, as inputs do.
_PRACTICE = "def _f(x):\n    return [x + 1, x * 2.5, str(x), (x, x), {'x': x}]\n_r = _f(1)\n"


def rehearse(compile_input: Callable[[str, str, str], object]) -> None:
    """Go through an input's path once (``compile_input``: the console's compiler)."""
    compile_input("None", "<stdin>", "single")
    if _nobody_watching():
        exec(compile(_PRACTICE, "<freshrepl rehearsal>", "exec"), {"__builtins__": builtins})
    request = protocol.encode(protocol.RunRequest("None"), 0)
    protocol.decode(loads(dumps(request)))
    loads(dumps(protocol.encode(protocol.RunReply(ok=True), 0)))


def _nobody_watching() -> bool:
    """No tracer, profiler or monitoring tool but freshrepl's own would see code run."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        return True
    return all(monitoring.get_tool(tool) in (None, "freshrepl") for tool in range(6))
