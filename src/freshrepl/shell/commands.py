"""The meta-commands: lines starting with ``:`` at the primary prompt.

A leading ``:`` is never valid Python, so no Python input is shadowed.  The
shell implements the actions; this module owns the names, the parsing, the
usage errors and the help text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class CommandTarget(Protocol):
    """What the shell offers the meta-commands."""

    def reload_now(self, names: list[str]) -> None: ...
    def restart(self, replay: bool, fresh: bool | None = None) -> None: ...
    def show_checkpoints(self, clear: bool) -> None: ...
    def show_watch(self) -> None: ...
    def set_auto(self, on: bool) -> None: ...
    def show_doc(self, name: str) -> None: ...
    def show_stale(self) -> None: ...
    def rerun_stale(self) -> None: ...
    def quit(self) -> None: ...
    def say(self, text: str) -> None: ...


HELP = """\
:reload               apply every pending change now
:reload NAME [NAME…]  deep-reload those modules even if unchanged
:restart              new kernel (from the newest usable checkpoint), then replay
                      the session's successful inputs after it
:restart --fresh      new kernel from scratch, then replay every successful input
:restart --no-replay  new kernel, empty namespace
:checkpoints [clear]  the paused kernels a restart can resume, and the memory they hold
:watch                the watched modules and their state
:auto on|off          automatic reloading on or off (now {auto})
:doc NAME             NAME's documentation, paged when long (F1 at the prompt)
:stale                the values computed by code changed since, with the inputs that made them
:rerun                run those inputs again (asks first when many or slow)
:help                 this table
:quit                 leave (also Ctrl-D, exit(), quit())"""


class CommandUsageError(Exception):
    """A meta-command was misspelled or given wrong arguments."""


def is_command(text: str) -> bool:
    return "\n" not in text and text.lstrip().startswith(":")


def run_command(text: str, target: CommandTarget, auto: bool) -> None:
    """Parse and run one meta-command line; usage errors are told, not raised."""
    words = text.strip()[1:].split() or [""]
    name, args = words[0], words[1:]
    action = _COMMANDS.get(name)
    try:
        if action is None:
            raise CommandUsageError(f"unknown command :{name} (type :help for the list)")
        action(target, args, auto)
    except CommandUsageError as exc:
        target.say(f"error: {exc}")


def _reload(target: CommandTarget, args: list[str], auto: bool) -> None:
    target.reload_now(args)


def _restart(target: CommandTarget, args: list[str], auto: bool) -> None:
    if args not in ([], ["--no-replay"], ["--fresh"]):
        raise CommandUsageError("usage: :restart [--fresh | --no-replay]")
    target.restart(replay=args != ["--no-replay"], fresh=True if args == ["--fresh"] else None)


def _checkpoints(target: CommandTarget, args: list[str], auto: bool) -> None:
    if args not in ([], ["clear"]):
        raise CommandUsageError("usage: :checkpoints [clear]")
    target.show_checkpoints(clear=bool(args))


def _watch(target: CommandTarget, args: list[str], auto: bool) -> None:
    _no_arguments(":watch", args)
    target.show_watch()


def _auto(target: CommandTarget, args: list[str], auto: bool) -> None:
    if args not in (["on"], ["off"]):
        raise CommandUsageError(f"usage: :auto on|off (now {'on' if auto else 'off'})")
    target.set_auto(args[0] == "on")


def _doc(target: CommandTarget, args: list[str], auto: bool) -> None:
    if len(args) != 1:
        raise CommandUsageError("usage: :doc NAME (a name or dotted name, e.g. :doc os.path.join)")
    target.show_doc(args[0])


def _stale(target: CommandTarget, args: list[str], auto: bool) -> None:
    _no_arguments(":stale", args)
    target.show_stale()


def _rerun(target: CommandTarget, args: list[str], auto: bool) -> None:
    _no_arguments(":rerun", args)
    target.rerun_stale()


def _help(target: CommandTarget, args: list[str], auto: bool) -> None:
    target.say(HELP.format(auto="on" if auto else "off"))


def _quit(target: CommandTarget, args: list[str], auto: bool) -> None:
    _no_arguments(":quit", args)
    target.quit()


def _no_arguments(name: str, args: list[str]) -> None:
    if args:
        raise CommandUsageError(f"{name} takes no arguments")


_COMMANDS: dict[str, Callable[[CommandTarget, list[str], bool], None]] = {
    "reload": _reload,
    "restart": _restart,
    "checkpoints": _checkpoints,
    "watch": _watch,
    "auto": _auto,
    "doc": _doc,
    "stale": _stale,
    "rerun": _rerun,
    "help": _help,
    "quit": _quit,
}
