"""The meta-commands: lines starting with ``:`` at the primary prompt, each registered once.

A leading ``:`` is never valid Python, so no Python input is shadowed.

Adding a command is one registration here, like a key binding in
prompt_toolkit: the decorator carries the name, the arguments, the help and
the handler::

    @command("checkpoints", "[clear]", help="the paused kernels a restart can resume ...")
    def _checkpoints(shell: ShellParts, args: list[str]) -> None:
        shell.say(shell.supervisor().show_checkpoints(clear=bool(args)))

- ``args`` is the argument pattern as the user sees it, and the arguments
  are checked against it before the handler runs (a mismatch is a usage
  error, told and not run): ``on|off`` one of those words, ``[clear]`` that
  word or nothing, ``[--fresh | --no-replay]`` one of them or nothing, ``NAME``
  one value, ``[NAME…]`` any number of values; ``""`` no arguments.
- ``help`` is the line of ``:help`` and of the README's table (a test keeps
  the README equal to ``readme_table()``); for a command with several forms, a
  dict from each form's arguments to its line.
- ``hint`` (optional) follows the usage in a usage error; ``state``
  (optional) gives the command's current setting, shown as ``(now …)`` in
  ``:help`` and in its usage error.
- The handler gets the shell's parts (``ShellParts``) and the arguments, and
  may raise ``CommandUsageError`` for what the pattern cannot say.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from freshrepl import protocol
    from freshrepl.shell.live_reload import LiveReload
    from freshrepl.shell.options import Options
    from freshrepl.shell.supervisor import KernelSupervisor
    from freshrepl.shell.terminal import Terminal

NO_KERNEL = "no kernel is running: type :restart to start a new one"


class ShellParts(Protocol):
    """What the shell offers the meta-commands."""

    options: Options
    terminal: Terminal

    def supervisor(self) -> KernelSupervisor: ...
    def live_reload(self) -> LiveReload: ...
    def apply_pending_changes(self, sync: bool) -> bool: ...
    def report(self, results: list[protocol.ReloadResult]) -> None: ...
    def say(self, text: str) -> None: ...
    def quit(self) -> None: ...


Handler = Callable[[ShellParts, list[str]], None]


class CommandUsageError(Exception):
    """A meta-command was misspelled or given wrong arguments."""


@dataclass(frozen=True)
class Command:
    """One meta-command: its name, argument pattern, help rows and handler."""

    name: str
    args: str
    rows: tuple[tuple[str, str], ...]  # (the form's arguments, its help line)
    handler: Handler
    hint: str = ""
    state: Callable[[ShellParts], str] | None = None

    def check(self, args: list[str], shell: ShellParts) -> None:
        """Raise ``CommandUsageError`` unless ``args`` fit the pattern."""
        if _fits(_pattern(self.args), args):
            return
        if not self.args:
            raise CommandUsageError(f":{self.name} takes no arguments")
        notes = [note for note in (self.hint, self.now(shell)) if note]
        raise CommandUsageError(
            f"usage: :{self.name} {self.args}" + "".join(f" ({note})" for note in notes)
        )

    def now(self, shell: ShellParts) -> str:
        return f"now {self.state(shell)}" if self.state is not None else ""


class CommandRegistry:
    """The meta-commands by name, in the order they were registered (that of ``:help``)."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}

    def command(
        self, name: str, args: str = "", *, help: str | dict[str, str], hint: str = "",
        state: Callable[[ShellParts], str] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator: register the handler as ``:name`` (see the module docstring)."""
        if name in self.commands:
            raise ValueError(f"meta-command :{name} is registered twice")
        _pattern(args)  # a malformed pattern fails here, at import, not at the prompt
        rows = tuple(help.items()) if isinstance(help, dict) else ((args, help),)

        def register(handler: Handler) -> Handler:
            self.commands[name] = Command(name, args, rows, handler, hint, state)
            return handler

        return register

    def run(self, text: str, shell: ShellParts) -> None:
        """Parse and run one meta-command line; usage errors are told, not raised."""
        words = text.strip()[1:].split() or [""]
        name, args = words[0], words[1:]
        try:
            found = self.commands.get(name)
            if found is None:
                raise CommandUsageError(f"unknown command :{name} (type :help for the list)")
            found.check(args, shell)
            found.handler(shell, args)
        except CommandUsageError as exc:
            shell.say(f"error: {exc}")

    def help_text(self, shell: ShellParts) -> str:
        """The ``:help`` table: one row per form, long lines wrapped under their column."""
        lines = []
        for found in self.commands.values():
            for index, (form, text) in enumerate(found.rows):
                now = found.now(shell) if index == 0 else ""
                text = f"{text} ({now})" if now else text
                wrapped = textwrap.wrap(text, _HELP_WIDTH - _HELP_COLUMN) or [""]
                lines.append(f"{_usage(found.name, form):<{_HELP_COLUMN}}{wrapped[0]}")
                lines.extend(" " * _HELP_COLUMN + more for more in wrapped[1:])
        return "\n".join(lines)

    def readme_table(self) -> str:
        """The README's table of meta-commands, as it must read."""
        lines = ["| command | does |", "|---|---|"]
        for found in self.commands.values():
            lines.extend(
                f"| `{_cell(_usage(found.name, form))}` | {_cell(text)} |" for form, text in found.rows
            )
        return "\n".join(lines)


_HELP_COLUMN = 22
_HELP_WIDTH = 80


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a bare | would end the table's cell


def _usage(name: str, form: str) -> str:
    return f":{name} {form}".rstrip()


# -- argument patterns ----------------------------------------------------------------------

_PIECE = re.compile(r"\[[^\]]*\]|\S+")


@dataclass(frozen=True)
class _Piece:
    """One piece of an argument pattern: a choice of words or a value, maybe optional, maybe repeated."""

    words: tuple[str, ...]  # literal choices; empty for a value (NAME)
    optional: bool
    repeated: bool


def _pattern(args: str) -> list[_Piece]:
    pieces = []
    for raw in _PIECE.findall(args):
        optional = raw.startswith("[")
        body = raw[1:-1].strip() if optional else raw
        choices = [choice.strip() for choice in body.split("|")]
        repeated = choices[-1].endswith("…")
        if repeated:
            choices[-1] = choices[-1][:-1]
        is_value = len(choices) == 1 and choices[0].isupper()
        if not all(choices) or (repeated and not is_value):
            raise ValueError(f"malformed argument pattern {args!r}")
        pieces.append(_Piece(() if is_value else tuple(choices), optional, repeated))
    return pieces


def _fits(pieces: list[_Piece], args: list[str]) -> bool:
    at = 0
    for piece in pieces:
        taken = 0
        while at < len(args) and (not piece.words or args[at] in piece.words):
            at, taken = at + 1, taken + 1
            if not piece.repeated:
                break
        if taken == 0 and not piece.optional:
            return False
    return at == len(args)


# -- the commands -----------------------------------------------------------------------------

COMMANDS = CommandRegistry()
command = COMMANDS.command


def is_command(text: str) -> bool:
    return "\n" not in text and text.lstrip().startswith(":")


def run_command(text: str, shell: ShellParts) -> None:
    COMMANDS.run(text, shell)


@command("reload", "[NAME…]", help={
    "": "apply every pending change now (compares every user module)",
    "NAME [NAME…]": "deep-reload those modules even if unchanged",
})
def _reload(shell: ShellParts, args: list[str]) -> None:
    from freshrepl.shell.kernel_client import KernelDied

    kernel = shell.supervisor()
    if kernel.dead:
        shell.say(NO_KERNEL)
        return
    try:
        results = shell.live_reload().reload_now(kernel.client, args)
    except KernelDied as died:
        kernel.died(str(died))
        return
    shell.report(results)
    if not results:
        shell.say("nothing to reload: every module matches its file")


@command("restart", "[--fresh | --no-replay]", help={
    "": "new kernel from the newest usable checkpoint, then replay the record's"
        " successful inputs after it",
    "--fresh": "new kernel from scratch, then replay every successful input",
    "--no-replay": "new kernel, empty namespace, empty record",
})
def _restart(shell: ShellParts, args: list[str]) -> None:
    shell.supervisor().restart(replay=args != ["--no-replay"], fresh=True if args == ["--fresh"] else None)


@command("checkpoints", "[clear]", help=(
    "the paused kernels a restart can resume and the memory they hold; clear ends them"
))
def _checkpoints(shell: ShellParts, args: list[str]) -> None:
    shell.say(shell.supervisor().show_checkpoints(clear=bool(args)))


@command("record", help=(
    "the inputs a restart replays, by the numbers its messages use: each one's result, "
    "and the checkpoints between them"
))
def _record(shell: ShellParts, args: list[str]) -> None:
    from freshrepl.shell.supervisor import record_listing

    shell.say(record_listing(shell.supervisor()))


@command("drop", "N [N…]", help=(
    "take inputs out of the record: a restart will not replay them (the live kernel keeps "
    "their effects)"
), hint="input numbers, as :record lists them")
def _drop(shell: ShellParts, args: list[str]) -> None:
    from freshrepl.shell.session import dropped_note

    if not all(arg.isdigit() and int(arg) > 0 for arg in args):
        raise CommandUsageError("usage: :drop N [N…] (input numbers, as :record lists them)")
    kernel = shell.supervisor()
    numbers = sorted({int(arg) for arg in args})
    missing = [n for n in numbers if kernel.record.find(n) is None]
    if missing:
        raise CommandUsageError(f"no input {missing[0]} in the record (:record lists them)")
    for number in numbers:
        entry, ended = kernel.forget(number)
        shell.say(dropped_note(entry, ended, kernel_keeps=not kernel.dead))


@command("undo", "[N]", help=(
    "the kernel as it was before the last input (before input N), nothing re-run; the undone "
    "inputs leave the record"
), hint="N: an input's number, as :record lists them")
def _undo(shell: ShellParts, args: list[str]) -> None:
    if args and not (args[0].isdigit() and int(args[0]) > 0):
        raise CommandUsageError("usage: :undo [N] (N: an input's number, as :record lists them)")
    from freshrepl.shell.undo import undo

    undo(shell.supervisor(), int(args[0]) if args else None, shell.say)


@command("watch", help="the watched modules and their state (fresh, changed, stale, failed, deleted)")
def _watch(shell: ShellParts, args: list[str]) -> None:
    shell.apply_pending_changes(sync=True)
    shell.say(shell.live_reload().states.render())
    if not shell.options.watch:
        shell.say("(file watching is off: --no-watch; :reload checks every module)")
    elif not shell.live_reload().auto:
        shell.say("(automatic reloading is off: :auto on)")


def _auto_state(shell: ShellParts) -> str:
    return "on" if shell.live_reload().auto else "off"


@command("auto", "on|off", help="automatic reloading on or off; on at start", state=_auto_state)
def _auto(shell: ShellParts, args: list[str]) -> None:
    on = args == ["on"]
    shell.live_reload().auto = on
    shell.say(f"automatic reloading is {'on' if on else 'off'}")
    if on:
        shell.apply_pending_changes(sync=True)


@command("doc", "NAME", help="NAME's documentation (like F1), paged when long",
         hint="a name or dotted name, e.g. :doc os.path.join")
def _doc(shell: ShellParts, args: list[str]) -> None:
    from freshrepl.shell.kernel_help import KernelHelp

    if shell.supervisor().dead:
        shell.say(NO_KERNEL)
        return
    text = KernelHelp(shell.supervisor()).doc(args[0])
    if text is None:
        shell.say(f"no documentation found for {args[0]}")
        return
    shell.terminal.page(text)


@command("stale", help="the values computed by code a reload changed since, with the inputs "
                        "that made them")
def _stale(shell: ShellParts, args: list[str]) -> None:
    from freshrepl.shell.stale_values import show_stale

    if shell.supervisor().dead:
        shell.say(NO_KERNEL)
        return
    shell.apply_pending_changes(sync=True)
    show_stale(shell.supervisor(), shell.say)


@command("rerun", help="run those inputs again, in record order (asks first when many or slow)")
def _rerun(shell: ShellParts, args: list[str]) -> None:
    from freshrepl.shell.stale_values import rerun

    if shell.supervisor().dead:
        shell.say(NO_KERNEL)
        return
    shell.apply_pending_changes(sync=True)
    rerun(shell)


@command("help", help="the list of commands")
def _help(shell: ShellParts, args: list[str]) -> None:
    shell.say(COMMANDS.help_text(shell))


@command("quit", help="leave (also Ctrl-D, exit, quit, exit(), quit())")
def _quit(shell: ShellParts, args: list[str]) -> None:
    shell.quit()
