"""The command line: python3-compatible argument parsing and the hand-over to the interpreter.

``freshrepl`` is a drop-in for ``python3`` at the terminal. Only the
interactive forms (``freshrepl``, ``-q``, ``-i script``, ``-i -c``, ``-i -m``,
with a terminal on stdin) start the shell; everything else -- a script, ``-c``,
``-m``, ``-``, piped stdin, ``-h``, ``-V``, python's own usage errors -- is
handed over to the interpreter with ``os.execv``, so its output and exit
status are exactly python3's.

Start-up time matters (every ``freshrepl script.py`` pays it, and the first
prompt must appear quickly), so this module imports only ``os`` and ``sys`` at
module level: ``freshrepl.shell.options`` (and the shell package with it),
which the hand-over path never needs, is imported only when an ``Options``
is actually built.
"""

from __future__ import annotations

import os
import sys

# typing costs import time; the annotations below are strings (PEP 563) anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TextIO

    from freshrepl.settings import Setting
    from freshrepl.shell.options import Options

__all__ = [
    "USAGE",
    "Answer",
    "Handover",
    "UsageError",
    "exec_handover",
    "help_text",
    "main",
    "parse",
    "version_text",
]

USAGE = "usage: freshrepl [option] ... [-c cmd | -m mod | file | -] [arg] ..."

# Mirrors CPython's Python/getopt.c: the short options python3 accepts.
# Flags without an argument that change how code runs; they go to the kernel
# interpreter. -R and -t are accepted and ignored by python3, kept for fidelity.
_KERNEL_FLAGS = frozenset("bBdEIOPRsStuvx")
# Flags whose argument is the rest of the token or else the next argument.
_KERNEL_ARG_FLAGS = frozenset("WX")
# Answered by python3 itself (help, version): always a hand-over.
_PYTHON_ANSWERS = frozenset("h?V")
# Python's long options. Exact names only: python3 has no --opt=value form.
_PYTHON_ANSWERS_LONG = frozenset(("--help-env", "--help-xoptions", "--help-all"))
_HASH_PYCS_MODES = ("default", "always", "never")

# The shell's own options: --help, --version, and those of the settings' table
# (``_setting_options``: loaded only for a long option, off `freshrepl script.py`'s path).
_ANSWERS = ("--help", "--version")


class UsageError(Exception):
    """A malformed shell option; reported as ``freshrepl: error: ...``, exit status 2."""


class Handover:
    """Run ``python`` with ``args`` in place of freshrepl (``os.execv``): no shell at all."""

    __slots__ = ("python", "args")

    def __init__(self, python: str, args: list[str]) -> None:
        self.python = python  # the interpreter, as resolved
        self.args = args  # the user's python-style arguments, shell options removed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Handover):
            return NotImplemented
        return (self.python, self.args) == (other.python, other.args)

    def __repr__(self) -> str:
        return f"Handover(python={self.python!r}, args={self.args!r})"


class Answer:
    """Text freshrepl answers itself (``--help``, ``--version``): print it, exit 0."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Answer):
            return NotImplemented
        return self.text == other.text

    def __repr__(self) -> str:
        return f"Answer({self.text!r})"


def _setting_options() -> dict[str, Setting]:
    from freshrepl.settings import SETTINGS

    return {setting.option_name: setting for setting in SETTINGS.values() if setting.option}


def options_help() -> str:
    """The shell options' part of ``--help``: each sets its key of the settings' table."""
    import textwrap

    rows = [(setting.option, f"{setting.name} = {_option_value(setting)}: {setting.help}")
            for setting in _setting_options().values()]
    rows += [("--help", "show this text and exit"),
             ("--version", "show freshrepl's and Python's versions and exit")]
    lines = []
    for option, text in rows:
        wrapped = textwrap.wrap(text, 79 - 24, break_on_hyphens=False)
        if len(option) < 22:
            lines.append(f"  {option:<22}{wrapped.pop(0)}")
        else:
            lines.append(f"  {option}")
        lines.extend(" " * 24 + line for line in wrapped)
    return "\n".join(lines)


def _option_value(setting: Setting) -> str:
    if setting.option_takes_value:
        return setting.option.split()[1]
    return "false" if setting.default else "true"


def help_text() -> str:
    """The ``--help`` text: freshrepl's own options, the python-style forms, the config keys."""
    from freshrepl.shell.config import keys_help

    return f"""{USAGE}

An interactive Python shell that never runs stale code: modules you edit are
patched in place. A drop-in for python3 at the terminal.

Shell options (in any order among the python-style options, before the
script, -c or -m), each setting a key of the config file:
{options_help()}

Python-style forms:
  freshrepl [-q]                      the interactive shell (-q: no banner)
  freshrepl -i file [arg] ...         run file as __main__, then the shell
  freshrepl -i -c cmd [arg] ...       run cmd, then the shell
  freshrepl -i -m mod [arg] ...       run module mod, then the shell
  freshrepl file | -c cmd | -m mod | - [arg] ...
                                      run by the interpreter itself, exactly
                                      as python3 does (also whenever stdin is
                                      not a terminal)

Interpreter flags -b -B -d -E -I -O -OO -P -s -S -u -v -x, -W arg, -X opt and
--check-hash-based-pycs mode apply to the kernel. -h, -? and -V are python3's
own and print python3's help and version.

Config file: $XDG_CONFIG_HOME/freshrepl/config.toml (default
~/.config/freshrepl/config.toml), flat "key = value" lines; a key's
environment variable, NO_COLOR and the command line win over it. Keys:
{keys_help()}

At the >>> prompt, type :help for freshrepl's commands.
"""


def version_text() -> str:
    """The ``--version`` line: ``freshrepl X.Y.Z (Python a.b.c)``."""
    from freshrepl import __version__

    # The Python freshrepl runs on; asking a --python interpreter would cost a process.
    return f"freshrepl {__version__} (Python {sys.version.split()[0]})\n"


def _option_value_of(setting: Setting, value: str, environ: Mapping[str, str]) -> object:
    """The value of a shell option that takes one, as used; ``UsageError`` if it cannot be."""
    from freshrepl.settings import SettingError

    try:
        return setting.check(value, environ)
    except SettingError as exc:
        got = f" (got {value!r})" if setting.choices else ""
        raise UsageError(exc.about(setting.option_name) + got) from None


def parse(
    argv: Sequence[str],
    *,
    stdin_is_tty: bool,
    environ: Mapping[str, str],
) -> Options | Handover | Answer:
    """Parse freshrepl's arguments (without the program name), as python3 would.

    Returns the interactive session's ``Options``, a ``Handover`` to the
    interpreter, or an ``Answer`` to print. Raises ``UsageError`` for a
    malformed shell option. A malformed python-style option is not an error
    here: it is handed over, so python3 itself reports it with its own words
    and exit status.
    """
    argv = list(argv)
    py_args: list[str] = []  # python-style tokens exactly as given, for a hand-over
    kernel_flags: list[str] = []
    inspect = False
    given: dict[str, object] = {}  # settings set here, which the config file must not override
    python_answers = False  # -h/-V/--help-*: python3 prints the answer itself
    run_kind: str | None = None
    run_target: str | None = None
    run_argv = [""]
    operand: str | None = None  # a script path or "-"
    i = 0

    def handover(verbatim_from: int | None = None) -> Handover:
        # From an unknown option or a missing argument on, python3 parses no
        # further, so neither do we: the rest goes over verbatim.
        rest = argv[verbatim_from:] if verbatim_from is not None else []
        return Handover(str(given.get("python", sys.executable)), [*py_args, *rest])

    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok == "--":
            py_args.append(tok)
            if i < len(argv):
                operand = argv[i]
            break
        if tok == "-" or not tok.startswith("-"):
            operand = tok
            i -= 1
            break

        if tok.startswith("--"):
            name, eq, value = tok.partition("=")
            setting = _setting_options().get(name)
            if setting is not None and setting.option_takes_value:
                if not eq:
                    if i >= len(argv):
                        raise UsageError(f"{name} needs a value")
                    value = argv[i]
                    i += 1
                given[setting.name] = _option_value_of(setting, value, environ)
            elif setting is not None and not eq:
                given[setting.name] = not setting.default
            elif tok in _ANSWERS:
                return Answer(help_text() if tok == "--help" else version_text())
            elif setting is not None or name in _ANSWERS:
                raise UsageError(f"{name} takes no value")
            elif tok == "--check-hash-based-pycs":
                if i >= len(argv) or argv[i] not in _HASH_PYCS_MODES:
                    # python3 reports the missing or bad mode itself.
                    return handover(i - 1)
                py_args += [tok, argv[i]]
                kernel_flags += [tok, argv[i]]
                i += 1
            elif tok in _PYTHON_ANSWERS_LONG:
                py_args.append(tok)
                python_answers = True
            else:
                # Long options are shared ground; a typo is likelier ours than
                # python's, so say it in freshrepl's words.
                raise UsageError(f"unknown option {name}")
            continue

        # A cluster of short options, as in CPython's getopt: "-iqWerror".
        py_args.append(tok)
        j = 1
        while j < len(tok):
            ch = tok[j]
            j += 1
            if ch in "cm" or ch in _KERNEL_ARG_FLAGS:
                if j < len(tok):
                    value = tok[j:]
                elif i < len(argv):
                    value = argv[i]
                    py_args.append(value)
                    i += 1
                else:
                    # "Argument expected for the -c option": python3's to say.
                    return handover()
                if ch in "cm":
                    run_kind = "command" if ch == "c" else "module"
                    run_target = value
                    # python3 sets sys.argv[0] to "-m" while it searches for the
                    # module and to its full path once found; runpy in the
                    # kernel does the same, so "-m" is what we can know here.
                    run_argv = ["-" + ch, *argv[i:]]
                    py_args += argv[i:]
                    i = len(argv)
                else:
                    kernel_flags += ["-" + ch, value]
                break
            if ch in _KERNEL_FLAGS:
                kernel_flags.append("-" + ch)
            elif ch == "i":
                inspect = True
            elif ch == "q":
                given["quiet"] = True
            elif ch in _PYTHON_ANSWERS:
                python_answers = True
            else:
                # Unknown (or -J, "reserved for Jython"): python3 reports it.
                py_args.pop()
                return handover(i - 1)
        if run_kind is not None:
            break

    if operand is not None:
        # argv[i] is the operand; python3 gives the script its path as typed
        # and everything after it, options or not.
        py_args += argv[i:]
        if operand != "-":
            run_kind, run_target = "script", operand
            run_argv = argv[i:]

    if python_answers or operand == "-" or (run_kind and not inspect) or not stdin_is_tty:
        return handover()

    from freshrepl.shell.options import Options

    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        given["color"] = False  # https://no-color.org: set and non-empty
    options = Options(
        run_kind=run_kind,
        run_target=run_target,
        argv=run_argv,
        python_flags=kernel_flags,
        given=frozenset(given),
    )
    for key, setting_value in given.items():
        setattr(options, key, setting_value)
    return options


def _write(stream: TextIO | None, text: str) -> None:
    """Write and flush, tolerating a reader that went away (``freshrepl --help | head -1``)."""
    if stream is None:
        return  # pythonw-like start with no stream: nowhere to write
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes at exit; point the
        # stream's fd at /dev/null so that last flush is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # a closed stream: nothing useful left to tell anyone


def exec_handover(handover: Handover) -> int:
    """Replace this process with the interpreter; returns only if that fails."""
    from freshrepl.process import flush_stdio

    flush_stdio()  # execv drops whatever is still buffered
    try:
        os.execv(handover.python, [handover.python, *handover.args])
    except OSError as exc:
        _write(sys.stderr, f"freshrepl: error: cannot run {handover.python}: {exc.strerror}\n")
        # The shell's conventions: 127 not found, 126 found but not runnable.
        return 127 if isinstance(exc, FileNotFoundError) else 126
    return 126  # not reached: execv does not return on success


def main(argv: list[str] | None = None) -> int:
    """The ``freshrepl`` command (also ``python -m freshrepl``); returns the exit status."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        stdin_is_tty = os.isatty(0)
    except OSError:
        stdin_is_tty = False  # no stdin at all: certainly not a terminal
    try:
        result = parse(argv, stdin_is_tty=stdin_is_tty, environ=os.environ)
    except UsageError as exc:
        _write(
            sys.stderr,
            f"freshrepl: error: {exc}\n{USAGE}\nTry 'freshrepl --help' for more information.\n",
        )
        return 2  # python3's status for usage errors
    if isinstance(result, Answer):
        _write(sys.stdout, result.text)
        return 0
    if isinstance(result, Handover):
        return exec_handover(result)

    from freshrepl.process import flush_stdio
    from freshrepl.shell.config import apply_config
    from freshrepl.shell.kernel_process import prefork

    apply_config(result, os.environ)
    # Before the shell loads anything more: the kernel's child never returns here.
    first_kernel = prefork(result)
    from freshrepl.shell.loop import run

    status = run(result, first_kernel)
    # run() has closed everything the session owns: the kernel is reaped, the
    # terminal restored, history written entry by entry.  Tearing down the
    # interpreter (prompt_toolkit, pygments, idle worker threads) would add
    # ~25 ms to every exit and do nothing the user can see.
    flush_stdio()
    os._exit(status)
