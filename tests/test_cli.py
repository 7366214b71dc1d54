"""Unit tests of freshrepl's command-line parser (freshrepl.cli.parse) and its small answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from freshrepl import __version__
from freshrepl.cli import USAGE, Answer, Handover, UsageError, exec_handover, main, parse
from freshrepl.shell.options import Options

PY = sys.executable
SRC = Path(__file__).resolve().parent.parent / "src"
TTY_ENV = {"PATH": os.environ.get("PATH", os.defpath), "TERM": "xterm-256color"}


def interactive(*argv: str, environ: dict[str, str] | None = None) -> Options:
    result = parse(argv, stdin_is_tty=True, environ=TTY_ENV if environ is None else environ)
    assert isinstance(result, Options), result
    return result


def handed_over(*argv: str, stdin_is_tty: bool = True) -> list[str]:
    result = parse(argv, stdin_is_tty=stdin_is_tty, environ=TTY_ENV)
    assert isinstance(result, Handover), result
    return result.args


# --- the interactive forms and the sys.argv the kernel gets -------------------------


def test_plain() -> None:
    opts = interactive()
    assert opts == Options(python=PY)
    assert opts.argv == [""]
    assert opts.run_kind is None and opts.run_target is None
    assert not opts.quiet and opts.color and opts.watch and opts.on_unsafe == "ask"


def test_quiet() -> None:
    assert interactive("-q").quiet


def test_i_alone_is_plain() -> None:
    assert interactive("-i") == Options(python=PY)


def test_i_script_argv_is_the_path_as_typed_and_everything_after() -> None:
    opts = interactive("-i", "./dir/s.py", "a", "-q", "--no-color", "--")
    assert (opts.run_kind, opts.run_target) == ("script", "./dir/s.py")
    assert opts.argv == ["./dir/s.py", "a", "-q", "--no-color", "--"]
    # Options after the script are the script's, not ours.
    assert not opts.quiet and opts.color


def test_i_command() -> None:
    opts = interactive("-i", "-c", "x = 1", "a", "-b")
    assert (opts.run_kind, opts.run_target) == ("command", "x = 1")
    assert opts.argv == ["-c", "a", "-b"]
    assert opts.python_flags == []


def test_i_module_argv0_is_dash_m() -> None:
    # python3 replaces "-m" by the module's path once found; the kernel's runpy does too.
    opts = interactive("-i", "-m", "http.server", "8000", "--bind", "::1")
    assert (opts.run_kind, opts.run_target) == ("module", "http.server")
    assert opts.argv == ["-m", "8000", "--bind", "::1"]


def test_double_dash_then_script() -> None:
    opts = interactive("-i", "--", "-c")
    assert (opts.run_kind, opts.run_target, opts.argv) == ("script", "-c", ["-c"])


def test_double_dash_alone() -> None:
    assert interactive("--") == Options(python=PY)


# --- combined short flags, as CPython's getopt takes them ---------------------------


def test_combined_flags() -> None:
    opts = interactive("-iqB")
    assert opts.quiet and opts.python_flags == ["-B"]


def test_glued_arguments() -> None:
    opts = interactive("-iWerror", "-Xdev", "-icprint(1)", "x")
    assert opts.python_flags == ["-W", "error", "-X", "dev"]
    assert (opts.run_kind, opts.run_target, opts.argv) == ("command", "print(1)", ["-c", "x"])


def test_glued_module() -> None:
    opts = interactive("-imhttp.server")
    assert (opts.run_kind, opts.run_target, opts.argv) == ("module", "http.server", ["-m"])


def test_separate_arguments() -> None:
    opts = interactive("-W", "ignore", "-X", "importtime", "-i")
    assert opts.python_flags == ["-W", "ignore", "-X", "importtime"]


def test_argument_that_looks_like_an_option_is_an_argument() -> None:
    # -W takes the next argument whatever it looks like, as in python3.
    opts = interactive("-W", "--no-color", "-X", "-q")
    assert opts.python_flags == ["-W", "--no-color", "-X", "-q"]
    assert opts.color and not opts.quiet


def test_every_kernel_flag_kept_in_order() -> None:
    opts = interactive("-bbBdEIOOPsSuvvxRt", "--check-hash-based-pycs", "never")
    assert opts.python_flags == [
        "-b", "-b", "-B", "-d", "-E", "-I", "-O", "-O", "-P", "-s", "-S", "-u",
        "-v", "-v", "-x", "-R", "-t", "--check-hash-based-pycs", "never",
    ]  # fmt: skip


# --- shell options and python options in any order ----------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("--no-color", "--no-watch", "-q", "-B", "--on-unsafe", "keep", "-i", "s.py", "a"),
        ("-q", "--on-unsafe=keep", "-B", "--no-watch", "-i", "--no-color", "s.py", "a"),
        ("-iBq", "--no-watch", "--no-color", "--on-unsafe", "keep", "s.py", "a"),
        ("-B", "-i", "--on-unsafe", "keep", "--no-color", "-q", "--no-watch", "--", "s.py", "a"),
    ],
)
def test_shell_and_python_options_in_any_order(argv: tuple[str, ...]) -> None:
    opts = interactive(*argv)
    assert opts.quiet and not opts.color and not opts.watch and opts.on_unsafe == "keep"
    assert opts.python_flags == ["-B"]
    assert (opts.run_kind, opts.argv) == ("script", ["s.py", "a"])


@pytest.mark.parametrize("choice", ["ask", "restart", "keep"])
def test_on_unsafe_choices(choice: str) -> None:
    assert interactive("--on-unsafe", choice).on_unsafe == choice
    assert interactive(f"--on-unsafe={choice}").on_unsafe == choice


def test_python_option_forms() -> None:
    assert interactive("--python", PY).python == PY
    assert interactive(f"--python={PY}").python == PY


def test_python_bare_name_is_looked_up_on_path() -> None:
    env = {"PATH": os.pathsep.join(["/nonexistent", os.path.dirname(PY)])}
    assert interactive("--python", os.path.basename(PY), environ=env).python == PY


def test_python_relative_path_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin").mkdir()
    os.symlink(PY, tmp_path / "bin" / "py")
    # Absolute, but not resolved: a venv's python is a symlink and must stay one.
    assert interactive("--python", "bin/py").python == str(tmp_path / "bin" / "py")


# --- colour -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "color"),
    [
        ({"TERM": "xterm"}, True),
        ({}, True),
        ({"NO_COLOR": "1"}, False),
        ({"NO_COLOR": "0"}, False),  # any non-empty value, per no-color.org
        ({"NO_COLOR": ""}, True),  # set but empty does not count
        ({"TERM": "dumb"}, False),
    ],
)
def test_colour_from_environment(environ: dict[str, str], color: bool) -> None:
    assert interactive(environ=environ).color is color
    assert interactive("--no-color", environ=environ).color is False


# --- hand-over forms: exactly the python-style arguments, shell options removed -----


@pytest.mark.parametrize(
    ("argv", "args"),
    [
        (["s.py", "a", "--no-color"], ["s.py", "a", "--no-color"]),
        (["--no-color", "-q", "s.py"], ["-q", "s.py"]),
        (["-c", "print(1)", "--no-watch"], ["-c", "print(1)", "--no-watch"]),
        (["-cprint(1)"], ["-cprint(1)"]),
        (["-m", "json.tool", "-h"], ["-m", "json.tool", "-h"]),
        (["--no-watch", "-mjson.tool"], ["-mjson.tool"]),
        (["-"], ["-"]),
        (["-i", "-", "a"], ["-i", "-", "a"]),
        (["-i", "--", "-"], ["-i", "--", "-"]),
        (["--", "s.py"], ["--", "s.py"]),
        (["-W", "error", "--on-unsafe", "keep", "s.py"], ["-W", "error", "s.py"]),
        (["-B", "--python", PY, "-OO", "s.py"], ["-B", "-OO", "s.py"]),
        (["-bq", "--check-hash-based-pycs", "always", "s.py"],
         ["-bq", "--check-hash-based-pycs", "always", "s.py"]),
    ],
)  # fmt: skip
def test_handover_forms(argv: list[str], args: list[str]) -> None:
    assert handed_over(*argv) == args


@pytest.mark.parametrize(
    "argv",
    [["-h"], ["-?"], ["-V"], ["-VV"], ["-qV"], ["--help-all"], ["--help-env"], ["--help-xoptions"]],
)
def test_python_answers_help_and_version_itself(argv: list[str]) -> None:
    assert handed_over(*argv) == argv
    assert handed_over("--no-color", *argv, "--no-watch") == argv


@pytest.mark.parametrize(
    ("argv", "args"),
    [
        ([], []),
        (["-q", "--no-color"], ["-q"]),
        (["-i"], ["-i"]),
        (["-i", "s.py", "x"], ["-i", "s.py", "x"]),
        (["-i", "-c", "pass"], ["-i", "-c", "pass"]),
        (["-iq", "-mjson.tool"], ["-iq", "-mjson.tool"]),
    ],
)
def test_stdin_not_a_terminal_hands_over(argv: list[str], args: list[str]) -> None:
    assert handed_over(*argv, stdin_is_tty=False) == args


def test_handover_uses_python_option() -> None:
    result = parse(["--python", PY, "s.py"], stdin_is_tty=True, environ=TTY_ENV)
    assert result == Handover(PY, ["s.py"])
    assert parse(["s.py"], stdin_is_tty=True, environ=TTY_ENV) == Handover(sys.executable, ["s.py"])


@pytest.mark.parametrize(
    ("argv", "args"),
    [
        # python3 stops at these and reports them itself; the rest goes over verbatim.
        (["--no-color", "-Z", "--no-watch"], ["-Z", "--no-watch"]),
        (["-q", "-iJ"], ["-q", "-iJ"]),
        (["-i", "-c"], ["-i", "-c"]),
        (["-i", "-m"], ["-i", "-m"]),
        (["-W"], ["-W"]),
        (["-iX"], ["-iX"]),
        (["--check-hash-based-pycs"], ["--check-hash-based-pycs"]),
        (
            ["--check-hash-based-pycs", "sometimes", "-i"],
            ["--check-hash-based-pycs", "sometimes", "-i"],
        ),
    ],
)
def test_python_usage_errors_are_pythons_to_report(argv: list[str], args: list[str]) -> None:
    assert handed_over(*argv) == args


# --- our own answers and errors ---------------------------------------------------


def test_version() -> None:
    result = parse(["--version"], stdin_is_tty=True, environ=TTY_ENV)
    assert isinstance(result, Answer)
    pyver = sys.version.split()[0]
    assert result.text == f"freshrepl {__version__} (Python {pyver})\n"
    assert parse(["--no-color", "--version"], stdin_is_tty=False, environ=TTY_ENV) == result


def test_help_lists_shell_options_and_forms() -> None:
    result = parse(["-q", "--help"], stdin_is_tty=True, environ=TTY_ENV)
    assert isinstance(result, Answer)
    for word in ["--no-color", "--no-watch", "--python", "--on-unsafe", "ask,restart,keep",
                 "-i -c", "-i -m", ":help", "--version", USAGE]:  # fmt: skip
        assert word in result.text


def test_help_after_script_is_the_scripts() -> None:
    assert handed_over("s.py", "--help") == ["s.py", "--help"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--on-unsafe", "never"], "--on-unsafe must be one of ask, restart, keep (got 'never')"),
        (["--on-unsafe=", "-i"], "--on-unsafe must be one of ask, restart, keep (got '')"),
        (["-q", "--on-unsafe"], "--on-unsafe needs a value"),
        (["--python"], "--python needs a value"),
        (["--python="], "--python needs a path to an interpreter"),
        (["--python", "/nonexistent/python9"], "--python: no executable interpreter at"),
        (["--python", "no-such-python-here"], "--python: no executable interpreter at"),
        (["--no-colour"], "unknown option --no-colour"),
        (["--no-color=1"], "--no-color takes no value"),
        (["--foo=bar", "s.py"], "unknown option --foo"),
    ],
)
def test_usage_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse(argv, stdin_is_tty=True, environ=TTY_ENV)


def test_main_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--on-unsafe", "sometimes"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("freshrepl: error: --on-unsafe must be one of ask, restart, keep")
    assert USAGE in err and "Traceback" not in err


def test_main_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith(f"freshrepl {__version__} (Python ")
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith(USAGE)


def test_exec_failure_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert exec_handover(Handover("/nonexistent/python", ["-c", "pass"])) == 127
    assert capsys.readouterr().err.startswith("freshrepl: error: cannot run /nonexistent/python:")


# --- start-up cost ----------------------------------------------------------------


def _new_modules(call: str) -> set[str]:
    code = (
        "import sys; before = set(sys.modules)\n"
        "import freshrepl.cli as c\n"
        f"{call}\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_handover_parse_imports_nothing_heavy() -> None:
    # Every `freshrepl script.py` pays for this before python3 even starts, so
    # not argparse, subprocess, or even dataclasses (via freshrepl.options); a long
    # option loads the settings' table, a plain module that imports nothing.
    call = "c.parse(['-B', 's.py'], stdin_is_tty=True, environ={})"
    assert _new_modules(call) <= {"freshrepl", "freshrepl.cli", "__future__"}
    call = "c.parse(['-B', '--no-color', 's.py'], stdin_is_tty=True, environ={})"
    assert _new_modules(call) <= {"freshrepl", "freshrepl.cli", "freshrepl.settings", "__future__"}


def test_interactive_parse_imports_only_options() -> None:
    call = "c.parse(['-q', '--no-watch'], stdin_is_tty=True, environ={})"
    new = _new_modules(call)
    assert "freshrepl.shell.options" in new
    assert not new & {"argparse", "subprocess", "prompt_toolkit", "pygments", "watchdog"}
