"""The typed messages the shell and the kernel exchange, and how the kernel is configured.

Both processes import this module; of freshrepl it imports only
``dataclass_lite`` and ``settings`` (plain, import-free), so the kernel can
load it before anything else.  The channel is one end of a socketpair
wrapped in ``freshrepl.channel.Channel``, which does the framing
(``multiprocessing.connection``'s frames, without its imports).  On the wire a message is a plain ``dict`` (``{"op": ..., "id":
..., fields}``) so that a kernel on another interpreter version, which unpickles
no class of ours, can still talk to the shell; ``encode`` and ``decode`` turn
the classes below (``dataclass_lite.py``: dataclasses to the type checker,
lighter to import) into such dicts and back.  Nothing heavy is imported here:
both processes need this module before the first input can run.

Every request gets exactly one reply, in order (or an ``ErrorReply`` when the
kernel's handler failed).  The kernel writes user output straight to the
shared terminal, never to the channel.

====================  ==================  =================================================
request               reply               meaning
====================  ==================  =================================================
(none: unasked)       ``Hello``           the kernel is ready (after any -i script)
``RunRequest``        ``RunReply``        run one input (``replay``: silently)
``ReloadRequest``     ``ReloadReply``     bring changed files (or named modules) up to date
``CompleteRequest``   ``CompleteReply``   completions for the text before the cursor
``ModulesRequest``    ``ModulesReply``    the user modules imported or dropped lately
``SignatureRequest``  ``SignatureReply``  the signature of the call the cursor is in
``DocRequest``        ``DocReply``        the docstring of a name (``:doc NAME``, F1)
``StaleRequest``      ``StaleReply``      the stale values and the inputs that made them
====================  ==================  =================================================

Checkpoints (``kernel/checkpoints.py``) use two more channels, each a
``SOCK_SEQPACKET`` socketpair whose packets are JSON-encoded messages:

- the *checkpoint messages'* channel (the kernel's end is fd
  ``KernelConfig.checkpoint_fd``, the shell's ``shell/checkpoint_inbox.py``): the
  kernel says ``CheckpointTaken`` (with the checkpoint's control socket and
  the listing of its files attached as ``SCM_RIGHTS``) or ``CheckpointSkipped``, unasked, the moment it
  happens, so that a message sent just before a fatal input is not lost;
- a checkpoint's *control* socket: the shell sends ``ResumeRequest`` with the
  new kernel's two channel ends attached; the new kernel then says ``Hello``
  on its channel like any other.
"""

from __future__ import annotations

from freshrepl.dataclass_lite import as_dict, dataclass_lite, field, field_names
from freshrepl.settings import default

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Any, ClassVar

# Environment variables the shell sets for the kernel it spawns.
KERNEL_CHANNEL_ENV = "FRESHREPL_KERNEL_FD"  # fd number of the kernel's end of the channel
KERNEL_CONFIG_ENV = "FRESHREPL_KERNEL_CONFIG"  # a KernelConfig, as a Python literal

# States a reload result (and a watched module) can be in.
RELOADED = "reloaded"  # the change is live
UNCHANGED = "unchanged"  # the file's text equals the loaded source: nothing to do
FAILED = "failed"  # did not compile or raised: module kept exactly as it was
UNSAFE = "unsafe"  # cannot be applied in place: nothing applied
DELETED = "deleted"  # the source file is gone: loaded code stays in use


@dataclass_lite
class KernelConfig:
    """What the kernel must know at start, beyond its interpreter flags."""

    argv: list[str] = field(default_factory=lambda: [""])
    run_kind: str | None = None  # "script", "command", "module" (the -i forms) or None
    run_target: str | None = None
    parent: int = 0  # the shell's pid: the kernel dies with it
    skip_first_line: bool = False  # python -x
    checkpoint_fd: int = -1  # the kernel's end of the checkpoint messages' channel; -1: none
    checkpoint_after: float = default("checkpoint_after_ms") / 1000  # in seconds
    checkpoint_idle: bool = False  # also one while idle after each input (for :undo)
    checkpoint_memory_mb: int = default("checkpoint_memory_mb")  # what checkpoints may hold
    color: bool = False  # colour results and tracebacks on the terminal (pygments)
    color_style: str = default("color_scheme")  # the pygments style they are coloured with
    stale_values: bool = default("stale_values")  # trace inputs to name stale values

    def to_env(self) -> str:
        # A Python literal, not JSON: json costs the shell ~2 ms before the spawn,
        # and the kernel has ast loaded anyway.  The values are plain (str, int,
        # float, bool, None, lists), whose reprs every Python 3 reads back alike.
        return repr(as_dict(self))

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str]) -> KernelConfig:
        """Read (and remove) the config the shell left in ``environ``."""
        import ast

        return cls.from_dict(ast.literal_eval(environ.pop(KERNEL_CONFIG_ENV, "{}")))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KernelConfig:
        """The config sent as a dict (names another freshrepl version does not know are left out)."""
        return cls(**{name: data[name] for name in field_names(cls) if name in data})


@dataclass_lite
class ModuleDelta:
    """User modules imported (name -> file) or dropped since the kernel last said."""

    added: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> ModuleDelta:
        data = data or {}
        return cls(dict(data.get("added", {})), list(data.get("removed", [])))


@dataclass_lite
class ReloadResult:
    """What happened to one module in a reload."""

    module: str
    path: str
    status: str
    # Short human summary of what changed, e.g. "Point.__repr__ added" or, for
    # UNSAFE, the object and the reason: "Point: base classes changed".
    detail: str = ""
    # For FAILED: "name.py:LINE" and "SyntaxError: invalid syntax".
    location: str = ""
    error: str = ""
    # For FAILED with a runtime error: the formatted traceback, true file/line.
    traceback: str = ""
    changed_names: list[str] = field(default_factory=list)
    # For RELOADED: session names whose values code this reload changed computed,
    # and whether that is known (False: read statically, they may be stale).
    stale: list[str] = field(default_factory=list)
    stale_exact: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReloadResult:
        return cls(**data)


@dataclass_lite
class StaleValue:
    """A session name whose value was computed by code changed since."""

    name: str
    number: int  # of the input that made it, in the shell's record (from 1; 0: not known)
    first_line: str  # of that input
    because: list[str] = field(default_factory=list)  # the changed functions it ran


@dataclass_lite
class StaleInput:
    """An input to run again for fresh values."""

    number: int
    source: str
    first_line: str
    seconds: float  # how long it took the last time


# -- requests (shell -> kernel) --------------------------------------------------


@dataclass_lite
class RunRequest:
    op: ClassVar[str] = "run"
    source: str
    replay: bool = False  # output and stdin go to the null device
    # A pasted block: parsed whole and run statement by statement, as Python
    # 3.13's REPL runs a paste (else read line by line, as python3 reads typing).
    block: bool = False
    position: int = -1  # inputs of the session record before this one (-1: not known)
    rerun: bool = False  # :rerun: names later inputs made keep their values (RunReply.kept)
    # When the shell let the terminal send Ctrl-C as a signal for this input
    # (time.monotonic, one clock for both processes): a Ctrl-C the kernel got
    # after that, before the code began, interrupts it.  None: none counts.
    since: float | None = None


@dataclass_lite
class ReloadRequest:
    op: ClassVar[str] = "reload"
    paths: list[str] | None  # changed files; None: compare every user module
    names: list[str] = field(default_factory=list)  # deep-reload these even if unchanged
    # Also compare the modules reported imported since the last request that asked
    # (the kernel knows them: thousands of paths need not travel back).
    imported: bool = False


@dataclass_lite
class CompleteRequest:
    op: ClassVar[str] = "complete"
    text: str  # the input up to the cursor


@dataclass_lite
class ModulesRequest:
    op: ClassVar[str] = "modules"


@dataclass_lite
class SignatureRequest:
    op: ClassVar[str] = "signature"
    text: str  # the input up to the cursor


@dataclass_lite
class DocRequest:
    op: ClassVar[str] = "doc"
    name: str  # a name or dotted path: "print", "os.path.join", "obj.method"


@dataclass_lite
class StaleRequest:
    op: ClassVar[str] = "stale"


# -- replies (kernel -> shell) -------------------------------------------------------


@dataclass_lite
class Hello:
    op: ClassVar[str] = "hello"
    pid: int
    python: str


@dataclass_lite
class RunReply:
    op: ClassVar[str] = "run-reply"
    ok: bool  # false when the input raised or did not compile
    exit: int | None = None  # set when it raised SystemExit; the kernel then exits
    error: str = ""  # during replay: the traceback the input printed
    modules: ModuleDelta = field(default_factory=ModuleDelta)
    kept: list[str] = field(default_factory=list)  # rerun: names given back their later value


@dataclass_lite
class ReloadReply:
    op: ClassVar[str] = "reload-reply"
    results: list[ReloadResult] = field(default_factory=list)
    modules: ModuleDelta = field(default_factory=ModuleDelta)


@dataclass_lite
class CompleteReply:
    op: ClassVar[str] = "complete-reply"
    matches: list[str] = field(default_factory=list)
    start: int = 0  # (negative) offset from the cursor that the matches replace


@dataclass_lite
class ModulesReply:
    op: ClassVar[str] = "modules-reply"
    modules: ModuleDelta = field(default_factory=ModuleDelta)


@dataclass_lite
class CheckpointTaken:
    """Kernel -> shell, unasked: a paused fork of the kernel now exists."""

    op: ClassVar[str] = "checkpoint"
    pid: int
    after: bool  # taken after the input that was running (else before it)
    why: str  # "before importing points", "after a 4.1 s input"
    # The number of the last input of the record whose effects it holds (0: none; -1: not known).
    position: int = -1
    idle: bool = False  # taken while idle after an input (for :undo), not by the restart policy
    fork_ms: float = 0.0  # how long the fork held the kernel up
    # Attached: its control socket, and a file listing what it had loaded of the
    # user's code (digests.write_listing): (path, "text" | "bytes", sha256) for
    # each file; "text" is the digest of the decoded source (UTF-8), "bytes" of
    # the file's bytes.  Thousands of modules would not fit in one message.


@dataclass_lite
class CheckpointSkipped:
    """Kernel -> shell, unasked: a checkpoint was due but forking was not safe."""

    op: ClassVar[str] = "checkpoint-skipped"
    after: bool
    reason: str  # "a background thread is running in the kernel (worker)"
    position: int = -1  # where it was due (-1: not known)


@dataclass_lite
class ResumeRequest:
    """Shell -> checkpoint: fork a new kernel from here (channel ends attached)."""

    op: ClassVar[str] = "resume"
    parent: int  # the shell's pid: the new kernel becomes its child and dies with it
    quiet: bool = False  # a trial (:checkpoints): its standard streams go to the null device


@dataclass_lite
class SignatureReply:
    op: ClassVar[str] = "signature-reply"
    callee: str = ""  # the expression before the open bracket ("" when not in a call)
    # "print(*args, sep=' ', end='\n', file=None, flush=False)"; several for builtins
    # documented that way (range); empty when the callee is unknown or has none.
    signatures: list[str] = field(default_factory=list)
    argument: int = 0  # index of the argument being typed
    keyword: str | None = None  # its name, when typed as name=...


@dataclass_lite
class DocReply:
    op: ClassVar[str] = "doc-reply"
    found: bool = False  # false: no such name in the kernel (or it failed: then text says why)
    text: str = ""  # the signature line(s), a blank line, the docstring


@dataclass_lite
class StaleReply:
    op: ClassVar[str] = "stale-reply"
    tracking: bool = False  # false: the setting is off (or tracking could not start: why_off)
    exact: bool = True  # false: read statically, the values may be stale
    values: list[StaleValue] = field(default_factory=list)  # by record order
    inputs: list[StaleInput] = field(default_factory=list)  # to run again, in record order
    why_off: str = ""


@dataclass_lite
class ErrorReply:
    """The kernel's handler failed (a bug of ours); the kernel itself goes on."""

    op: ClassVar[str] = "error"
    message: str


Request = (RunRequest | ReloadRequest | CompleteRequest | ModulesRequest | SignatureRequest
           | DocRequest | StaleRequest)
Reply = (Hello | RunReply | ReloadReply | CompleteReply | ModulesReply | SignatureReply | DocReply
         | StaleReply | ErrorReply)

_MESSAGES: dict[str, type] = {
    cls.op: cls
    for cls in (RunRequest, ReloadRequest, CompleteRequest, ModulesRequest, SignatureRequest,
                DocRequest, StaleRequest, Hello, RunReply, ReloadReply, CompleteReply, ModulesReply,
                SignatureReply, DocReply, StaleReply, ErrorReply, CheckpointTaken, CheckpointSkipped,
                ResumeRequest)
}


def encode(message: Request | Reply | Checkpointing, message_id: int | None = None) -> dict[str, Any]:
    """The plain dict that travels for ``message``."""
    wire: dict[str, Any] = as_dict(message)  # type: ignore[assignment]  # nested ones too
    wire["op"] = message.op
    if message_id is not None:
        wire["id"] = message_id
    return wire


def decode(wire: dict[str, Any]) -> Request | Reply | Checkpointing:
    """The message a wire dict stands for; ``ValueError`` if it is not one of ours."""
    cls = _MESSAGES.get(wire.get("op", ""))
    if cls is None:
        raise ValueError(f"unknown message {wire.get('op')!r}")
    values = {name: wire[name] for name in field_names(cls) if name in wire}
    if "modules" in values:
        values["modules"] = ModuleDelta.from_wire(values["modules"])
    if cls is ReloadReply:
        values["results"] = [ReloadResult.from_dict(r) for r in values.get("results", [])]
    if cls is StaleReply:
        values["values"] = [StaleValue(**v) for v in values.get("values", [])]
        values["inputs"] = [StaleInput(**i) for i in values.get("inputs", [])]
    return cls(**values)


Checkpointing = CheckpointTaken | CheckpointSkipped | ResumeRequest


def encode_packet(message: Checkpointing) -> bytes:
    """One packet of the checkpoint channels."""
    import json

    return json.dumps(encode(message)).encode()


def decode_packet(data: bytes) -> Checkpointing:
    import json

    message = decode(json.loads(data))
    if not isinstance(message, (CheckpointTaken, CheckpointSkipped, ResumeRequest)):
        raise ValueError(f"not a checkpoint message: {type(message).__name__}")
    return message


def message_id(wire: dict[str, Any]) -> int | None:
    return wire.get("id")
