"""Coloured results and tracebacks: the text is python3's, only colour is added."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernels import running_kernel

from freshrepl.kernel import display
from freshrepl.kernel.display import Highlighter, make_displayhook

SRC = str(Path(__file__).resolve().parent.parent / "src")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    return SGR.sub("", text)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    | st.tuples(inner, inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_coloured_result_is_exactly_the_repr(value):
    text = repr(value)
    assert plain(Highlighter().result(text)) == text


@pytest.mark.parametrize("text", [
    "Point(x=1,\n      y='two')",  # a custom __repr__ over several lines
    "<Thing 'unclosed>",
    "b'\\x00' rb'\\d' f\"{x}\" 0x1F 1_000.5e-3j",
    "\t[\u00e9, '\u2028']",
])
def test_unusual_reprs_keep_every_character(text):
    assert plain(Highlighter().result(text)) == text


def test_result_is_coloured():
    text = repr({"a": [1, 2.5, None]})
    colored = Highlighter().result(text)
    assert colored != text and plain(colored) == text


@pytest.mark.parametrize("text", ["'\\r' is fine but this is not: \r", "\x1b[31mred\x1b[0m",
                                  "x" * (display.MAX_COLORED + 1), ""])
def test_text_pygments_would_change_or_too_long_is_left_plain(text):
    assert Highlighter().result(text) == text


def test_traceback_is_coloured_and_unchanged():
    tb = ('Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\n'
          "ZeroDivisionError: division by zero\n")
    colored = Highlighter().traceback(tb)
    assert colored != tb and plain(colored) == tb


def test_without_pygments_text_stays_plain(monkeypatch):
    for name in [m for m in sys.modules if m == "pygments" or m.startswith("pygments.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pygments", None)  # import pygments -> ImportError
    assert Highlighter("friendly").result("[1, 2]") == "[1, 2]"


def test_default_colours_need_no_pygments_and_read_on_dark_and_light(monkeypatch):
    for name in [m for m in sys.modules if m == "pygments" or m.startswith("pygments.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pygments", None)
    colored = Highlighter().result("[1, 'a', None, x]")
    # ANSI colours the terminal's theme tunes to its background; no fixed 256-colour grey.
    assert colored == "[\x1b[35m1\x1b[0m, \x1b[32m'a'\x1b[0m, \x1b[1;35mNone\x1b[0m, x]"


def test_unknown_style_falls_back_to_the_default():
    text = "[1, 'a']"
    assert plain(Highlighter("no-such-style").result(text)) == text != Highlighter("no-such-style").result(text)


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch):
    """Our displayhook, with the captured stdout standing for the terminal.

    capsys replaces sys.stdout only when the test itself starts, hence the lambda.
    """
    monkeypatch.setattr("builtins._", None, raising=False)
    displayhook = make_displayhook(Highlighter())

    def call(value: object) -> None:
        monkeypatch.setattr(sys, "__stdout__", sys.stdout)
        displayhook(value)

    return call


def test_displayhook_prints_coloured_and_sets_underscore(hook, capsys):
    import builtins

    value = {"k": (1, "two")}
    hook(value)
    out = capsys.readouterr().out
    assert out != repr(value) + "\n" and plain(out) == repr(value) + "\n"
    assert builtins._ is value


def test_displayhook_prints_nothing_for_none(hook, capsys):
    import builtins

    builtins._ = 5
    hook(None)
    assert capsys.readouterr().out == ""
    assert builtins._ == 5


def test_displayhook_is_plain_when_stdout_is_redirected(monkeypatch):
    import io

    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    monkeypatch.setattr(sys, "__stdout__", io.StringIO())
    make_displayhook(Highlighter())([1, 2])
    assert buffer.getvalue() == "[1, 2]\n"


# -- in a real kernel -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def our_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels on this interpreter import freshrepl from this tree, not an installed copy."""
    monkeypatch.setenv("PYTHONPATH", SRC)


def kernel(color: bool) -> Any:
    return running_kernel(color=color)


def test_kernel_colours_results_and_tracebacks_loading_pygments_on_first_use(capfd):
    with kernel(color=True) as k:
        k.run("import sys; before = 'pygments' in sys.modules")
        k.run("[1, 'a', None]")
        k.run("1/0")
        out, err = capfd.readouterr()
        assert plain(out) == "[1, 'a', None]\n" and out != plain(out)
        assert "ZeroDivisionError" in err and err != plain(err)
        k.run("print(before, 'pygments' in sys.modules)")
        assert capfd.readouterr().out == "False True\n"


def test_kernel_without_colour_never_loads_pygments(capfd):
    with kernel(color=False) as k:
        k.run("[1, 'a', None]")
        k.run("import sys; print('pygments' in sys.modules)")
        assert capfd.readouterr().out == "[1, 'a', None]\nFalse\n"


def test_colour_setup_does_not_import_pygments():
    """pygments loads with the first coloured output, never while the kernel starts."""
    code = ("import sys\n"
            "from freshrepl.kernel.display import Highlighter, make_displayhook\n"
            "make_displayhook(Highlighter())\n"
            "print('pygments' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "PYTHONPATH": SRC})
    assert done.stdout == "False\n", done.stderr


INPUTS = "{'a': [1, 2.5, None, True]}\n'x\\ty'\nNone\nb'\\x00'\n1/0\nx = = 1\nprint(_)\n"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13's REPL names inputs differently")
def test_colour_off_output_is_byte_identical_to_python3(capfd):
    python = subprocess.run([sys.executable, "-i", "-q"], input=INPUTS, capture_output=True,
                            text=True, timeout=30)
    with kernel(color=False) as k:
        for line in INPUTS.splitlines():
            k.run(line)
        out, err = capfd.readouterr()
    assert out == python.stdout
    # python3 ends with a newline after the last prompt, at end of input.
    assert err + "\n" == python.stderr.replace(">>> ", "")


def test_a_project_file_cannot_stand_in_for_pygments(tmp_path):
    (tmp_path / "pygments.py").write_text("raise ImportError('the project has its own pygments.py')\n")
    code = ("import sys\n"
            "sys.path.insert(0, '')\n"
            "from freshrepl.kernel.display import Highlighter\n"
            "print(Highlighter().result('[1]') != '[1]')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, cwd=tmp_path, env={**os.environ, "PYTHONPATH": SRC})
    assert done.stdout == "True\n", done.stderr


_SECOND_SESSION = (
    "import sys\n"
    "from freshrepl.kernel.display import Highlighter\n"
    "print(repr(Highlighter('friendly').result('[1, None]')))\n"
    "print('pygments.formatters' in sys.modules)\n"
)


def _session(cache: Path, *flags: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "XDG_CACHE_HOME": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run([sys.executable, *flags, "-c", _SECOND_SESSION], capture_output=True,
                          text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_styles_escapes_are_kept_so_later_results_need_no_formatter(tmp_path):
    first = _session(tmp_path)
    assert first[1] == "True"  # computed with pygments' formatter, then kept
    assert (tmp_path / "freshrepl" / "colors" / "friendly").is_file()
    second = _session(tmp_path)
    assert second == [first[0], "False"]  # the same colours, without the formatter
    assert plain(eval(second[0])) == "[1, None]" and eval(second[0]) != "[1, None]"


def test_kept_escapes_from_another_pygments_or_style_are_not_used(tmp_path):
    kept = tmp_path / "freshrepl" / "colors" / "friendly"
    kept.parent.mkdir(parents=True)
    fake = {kind: ("\x1b[31m", "\x1b[39m") for kind in ("string", "number", "constant", "name", "other")}
    import pygments

    ours = (pygments.__file__, pygments.__version__)
    for stamp, style in [(("/elsewhere/pygments/__init__.py", "0.1"), "friendly"), (ours, "monokai")]:
        kept.write_text(repr((stamp, style, fake)))
        assert "\x1b[31m" not in eval(_session(tmp_path)[0])
    kept.write_text("not a literal (")
    assert _session(tmp_path)[1] == "True"


def test_nothing_is_kept_with_dont_write_bytecode(tmp_path):
    _session(tmp_path, "-B")
    assert not (tmp_path / "freshrepl").exists()
