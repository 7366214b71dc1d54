"""End-to-end fidelity of the hand-over: ``freshrepl ARGS`` behaves exactly as ``python3 ARGS``.

Each case runs the interpreter and ``python -m freshrepl`` side by side, with the
same working directory, environment and standard input (a pipe, never a
terminal), and compares stdout, stderr and exit status byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from term import other_python

SRC = Path(__file__).resolve().parent.parent / "src"

ARGV_SCRIPT = "import sys\nprint(sys.argv)\nprint(sys.flags.optimize)\n"
EXIT_SCRIPT = "print('bye')\nraise SystemExit(3)\n"
RAISE_SCRIPT = """\
def inner(x):
    return 1 / x


def outer():
    return inner(0)


print("before", flush=True)
outer()
"""
WARN_SCRIPT = "import warnings\nwarnings.warn('careful')\nprint('after')\n"
VERSION_SCRIPT = "import sys\nprint(sys.version)\nprint(sys.executable)\nprint(sys.argv)\n"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The tests must work without installing freshrepl.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    # Nothing from the caller's interactive set-up may leak into -i runs.
    env.pop("PYTHONSTARTUP", None)
    env.pop("PYTHONINSPECT", None)
    env.pop("PYTHONOPTIMIZE", None)  # sys.flags.optimize shows whether -O got through
    return env


def _run(cmd: list[str], cwd: Path, stdin: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        cmd, cwd=cwd, env=_env(), input=stdin.encode(), capture_output=True, timeout=30
    )


def assert_same(
    args: list[str],
    cwd: Path,
    *,
    stdin: str = "",
    shell_options: tuple[str, ...] = (),
    python: str = sys.executable,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python ARGS`` and ``freshrepl [shell options] ARGS``; they must not differ."""
    expected = _run([python, *args], cwd, stdin)
    actual = _run([sys.executable, "-m", "freshrepl", *shell_options, *args], cwd, stdin)
    assert actual.stderr.decode() == expected.stderr.decode()
    assert actual.stdout.decode() == expected.stdout.decode()
    assert actual.returncode == expected.returncode
    return expected


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "show_argv.py").write_text(ARGV_SCRIPT)
    (tmp_path / "exit3.py").write_text(EXIT_SCRIPT)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "boom.py").write_text(RAISE_SCRIPT)
    (tmp_path / "warn.py").write_text(WARN_SCRIPT)
    (tmp_path / "version.py").write_text(VERSION_SCRIPT)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "tool.py").write_text(
        "import sys\nprint(__name__, sys.argv[1:])\nprint(sys.argv[0] == __file__)\n"
    )
    return tmp_path


def test_script_sees_its_argv(work: Path) -> None:
    # Options after the script, ours included, are the script's.
    done = assert_same(["show_argv.py", "a", "--no-color", "-q", "--"], work)
    assert done.stdout.decode().splitlines()[0] == str(
        ["show_argv.py", "a", "--no-color", "-q", "--"]
    )


def test_exit_status(work: Path) -> None:
    done = assert_same(["exit3.py"], work)
    assert done.returncode == 3


def test_uncaught_exception_traceback(work: Path) -> None:
    done = assert_same(["sub/boom.py"], work)
    assert done.returncode == 1
    assert b"ZeroDivisionError" in done.stderr and b"sub/boom.py" in done.stderr


def test_command_with_args(work: Path) -> None:
    done = assert_same(["-c", "import sys; print(sys.argv)", "x", "-i", "--no-watch"], work)
    assert done.stdout == b"['-c', 'x', '-i', '--no-watch']\n"


def test_glued_command_and_error(work: Path) -> None:
    done = assert_same(["-cimport sys; print(sys.argv); 1/0", "y"], work)
    assert done.returncode == 1


def test_module_from_the_working_directory(work: Path) -> None:
    done = assert_same(["-m", "pkg.tool", "a", "-q"], work)
    assert done.stdout == b"__main__ ['a', '-q']\nTrue\n"


def test_dash_reads_the_program_from_stdin(work: Path) -> None:
    done = assert_same(["-", "a", "b"], work, stdin="import sys\nprint(sys.argv)\n")
    assert done.stdout == b"['-', 'a', 'b']\n"


def test_piped_stdin_without_arguments(work: Path) -> None:
    done = assert_same([], work, stdin="print(1)\n")
    assert done.stdout == b"1\n"


def test_piped_stdin_with_quiet(work: Path) -> None:
    assert_same(["-q"], work, stdin="print(2)\nraise SystemExit(4)\n")


def test_inspect_with_stdin_not_a_terminal(work: Path) -> None:
    # python3 -i with a pipe reads the pipe at its own prompts (banner and all).
    done = assert_same(["-i"], work, stdin="x = 6\nx * 7\n")
    assert b"42" in done.stdout


def test_inspect_script_with_stdin_not_a_terminal(work: Path) -> None:
    done = assert_same(["-i", "show_argv.py", "z"], work, stdin="print(sys.argv)\n")
    assert done.stdout.count(b"['show_argv.py', 'z']") == 2


def test_warning_flag(work: Path) -> None:
    done = assert_same(["-W", "error", "warn.py"], work)
    assert done.returncode == 1 and b"UserWarning: careful" in done.stderr
    assert_same(["-Wignore", "warn.py"], work)


def test_shell_options_are_removed(work: Path) -> None:
    # freshrepl --no-color -O ... must be python3 -O ...: -O shows in sys.flags.
    expected = _run([sys.executable, "-O", "show_argv.py", "k"], work, "")
    for shell_options in [("--no-color",), ("--no-watch", "--on-unsafe", "keep")]:
        actual = _run(
            [sys.executable, "-m", "freshrepl", *shell_options, "-O", "show_argv.py", "k"],
            work,
            "",
        )
        assert (actual.stdout, actual.stderr, actual.returncode) == (
            expected.stdout,
            expected.stderr,
            expected.returncode,
        )
    assert expected.stdout == b"['show_argv.py', 'k']\n1\n"


@pytest.mark.parametrize(
    "args",
    [["-V"], ["-VV"], ["-h"], ["-Z"], ["-c"], ["-W"], ["--check-hash-based-pycs", "sometimes"]],
)
def test_python_answers_itself(work: Path, args: list[str]) -> None:
    assert_same(args, work)


def test_missing_script(work: Path) -> None:
    done = assert_same(["no_such_file.py"], work)
    assert done.returncode == 2


def test_other_interpreter(work: Path) -> None:
    found = other_python()
    if found is None:
        pytest.skip("no second supported CPython (3.10-3.13) on PATH or in pyenv")
    other, (major, minor) = found
    done = assert_same(["version.py", "v"], work, shell_options=("--python", other), python=other)
    assert done.stdout.startswith(f"{major}.{minor}.".encode())
    assert_same(["sub/boom.py"], work, shell_options=(f"--python={other}",), python=other)


def test_our_usage_error_is_not_a_traceback(work: Path) -> None:
    done = _run([sys.executable, "-m", "freshrepl", "--on-unsafe", "never", "x.py"], work, "")
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.startswith(b"freshrepl: error: --on-unsafe must be one of")
    assert b"Traceback" not in done.stderr
