"""The kernel's console, called directly: top-level await, bare exit, malformed input."""

from __future__ import annotations

import codeop
import os
import signal
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from freshrepl.compiler import AwaitCompiler
from freshrepl.kernel.console import NUMBERED_INPUTS, KernelConsole


@pytest.fixture
def console() -> Iterator[KernelConsole]:
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    yield KernelConsole(namespace)
    loop = namespace.get("loop")
    if loop is not None and not loop.is_closed():
        loop.close()


def run(console: KernelConsole, capsys: pytest.CaptureFixture[str], source: str) -> tuple[str, str]:
    console.push_source(source)
    captured = capsys.readouterr()
    return captured.out, captured.err


def where(line: int = 1) -> str:
    """How python3 names the input in a traceback line (varies with the version)."""
    return "<python-input-" if NUMBERED_INPUTS else f'"<stdin>", line {line}'


ASYNC_SETUP = (
    "import asyncio\n"
    "async def double(x):\n"
    "    await asyncio.sleep(0.01)\n"
    "    return x * 2\n"
)


def test_top_level_await_prints_the_result(console, capsys):
    run(console, capsys, ASYNC_SETUP)
    assert run(console, capsys, "await double(21)") == ("42\n", "")
    assert run(console, capsys, "x = await double(2)") == ("", "")
    assert run(console, capsys, "[await double(i) for i in range(3)]")[0] == "[0, 2, 4]\n"
    assert run(console, capsys, "x")[0] == "4\n"
    assert not console.failed


def test_task_created_in_one_input_is_awaited_in_a_later_one(console, capsys):
    run(console, capsys, ASYNC_SETUP)
    run(console, capsys, "t = asyncio.create_task(double(21))")
    assert not console.failed
    assert run(console, capsys, "await t") == ("42\n", "")


def test_one_loop_across_inputs_and_get_event_loop(console, capsys):
    run(console, capsys, ASYNC_SETUP)
    run(console, capsys, "loop = asyncio.get_event_loop()")
    assert run(console, capsys, "await asyncio.sleep(0, asyncio.get_running_loop() is loop)")[0] == "True\n"
    assert run(console, capsys, "loop.run_until_complete(double(3))")[0] == "6\n"
    # asyncio.run() leaves the thread without a loop; the session's loop comes back.
    assert run(console, capsys, "asyncio.run(double(4))")[0] == "8\n"
    assert run(console, capsys, "await asyncio.sleep(0, asyncio.get_running_loop() is loop)")[0] == "True\n"
    assert run(console, capsys, "asyncio.get_event_loop() is loop")[0] == "True\n"


def test_input_without_await_runs_as_before(console, capsys):
    out, err = run(console, capsys, "def f():\n    return 1/0\n")
    out, err = run(console, capsys, "f()")
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith("ZeroDivisionError: division by zero\n")
    assert err.count("  File ") == 2 and "asyncio" not in err


def test_await_traceback_shows_only_the_users_frames(console, capsys):
    run(console, capsys, ASYNC_SETUP + "\nasync def bad():\n    await asyncio.sleep(0)\n    raise ValueError('boom')\n")
    _out, err = run(console, capsys, "await bad()")
    assert console.failed
    lines = [line for line in err.splitlines() if line.startswith("  File ")]
    assert len(lines) == 2, err
    assert where() in lines[0] and "in <module>" in lines[0]
    assert "in bad" in lines[1]
    assert "asyncio" not in err and "freshrepl" not in err
    assert err.endswith("ValueError: boom\n")


@pytest.mark.parametrize("source, complete", [
    ("await x", True),
    ("for i in range(2):\n    await asyncio.sleep(0)", False),  # the block may go on
    ("for i in range(2):\n    await asyncio.sleep(0)\n", True),
    ("async with lock:", False),
    ("x = 1", True),
    ("def f():", False),
])
def test_await_compiler_says_when_an_input_is_complete(source, complete):
    assert (AwaitCompiler()(source, "<stdin>", "single") is not None) is complete


def test_await_compiler_keeps_pythons_errors():
    for source in ("x = = 1", "await", "x = = await y"):
        with pytest.raises(SyntaxError) as plain:
            codeop.compile_command(source, "<stdin>", "single")
        with pytest.raises(SyntaxError) as ours:
            AwaitCompiler()(source, "<stdin>", "single")
        assert (ours.value.msg, ours.value.lineno) == (plain.value.msg, plain.value.lineno)


def test_future_imports_carry_over_await_inputs(console, capsys):
    run(console, capsys, "import asyncio")
    run(console, capsys, "from __future__ import annotations; await asyncio.sleep(0)")
    assert not console.failed
    run(console, capsys, "def f(x: undefined_name): pass")
    assert run(console, capsys, "f.__annotations__")[0] == "{'x': 'undefined_name'}\n"


def test_await_syntax_error_is_pythons(console, capsys):
    _out, err = run(console, capsys, "await")
    assert console.failed and "SyntaxError" in err
    assert run(console, capsys, "1 + 1")[0] == "2\n"


def test_exit_inside_await_leaves(console, capsys):
    run(console, capsys, ASYNC_SETUP)
    with pytest.raises(SystemExit) as raised:
        console.push_source("await asyncio.sleep(0)\nraise SystemExit(4)")
    assert raised.value.code == 4


def _interrupt_when(event: threading.Event) -> threading.Thread:
    def send() -> None:
        if event.wait(10):
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=send)
    thread.start()
    return thread


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_an_awaiting_input_and_cleans_up(console, capsys):
    started = threading.Event()
    console.locals.update(started=started, cleaned=[])
    run(console, capsys, ASYNC_SETUP + "\n" + (
        "async def wait():\n"
        "    started.set()\n"
        "    try:\n"
        "        await asyncio.sleep(60)\n"
        "    finally:\n"
        "        cleaned.append('yes')\n"
    ))
    thread = _interrupt_when(started)
    _out, err = run(console, capsys, "await wait()")
    thread.join()
    assert console.failed
    assert err.startswith("Traceback (most recent call last):\n"), err
    assert "in wait" in err and err.endswith("KeyboardInterrupt\n")
    assert "freshrepl" not in err
    assert console.locals["cleaned"] == ["yes"]
    assert run(console, capsys, "await double(5)")[0] == "10\n"


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_busy_code_in_an_awaiting_input(console, capsys):
    started = threading.Event()
    console.locals.update(started=started)
    run(console, capsys, ASYNC_SETUP)
    thread = _interrupt_when(started)
    _out, err = run(console, capsys, "await asyncio.sleep(0)\nstarted.set()\nwhile True: pass")
    thread.join()
    assert err.endswith("KeyboardInterrupt\n") and where() in err
    assert run(console, capsys, "await double(6)")[0] == "12\n"


# -- bare exit and quit ---------------------------------------------------------------


@pytest.mark.parametrize("source", ["exit", "quit", "  exit  ", "quit\n"])
def test_bare_exit_and_quit_leave(console, source):
    with pytest.raises(SystemExit) as raised:
        console.push_source(source)
    assert raised.value.code is None


def test_bound_exit_evaluates_normally(console, capsys):
    run(console, capsys, "exit = 'mine'")
    assert run(console, capsys, "exit") == ("'mine'\n", "")
    out, _err = run(console, capsys, "quit is __builtins__.quit if hasattr(__builtins__, 'quit') else True")
    assert out == "True\n"
    run(console, capsys, "def quit(): return 'q'")
    assert run(console, capsys, "quit")[0].startswith("<function quit")


def test_exit_in_an_expression_is_not_a_command(console, capsys):
    out, _err = run(console, capsys, "exit.__class__.__name__")
    assert out == "'Quitter'\n"


# -- malformed input ------------------------------------------------------------------


@pytest.mark.parametrize("source", ["x='a\x00b'", "def f(:\x00", "\x00", "a\x01b", "\x1b[A", "1\x7f"])
def test_control_characters_get_pythons_error_and_the_session_goes_on(console, capsys, source):
    _out, err = run(console, capsys, source)
    assert console.failed
    assert "Error" in err and "internal error" not in err
    assert run(console, capsys, "1 + 1") == ("2\n", "")


def test_null_byte_error_is_pythons(console, capsys):
    _out, err = run(console, capsys, "x='a\x00b'")
    assert "source code string cannot contain null bytes" in err


@pytest.mark.parametrize("source, error", [
    ("(", "'(' was never closed"),
    ("if x:", "IndentationError"),
    ("'''abc", "unterminated triple-quoted string literal"),
])
def test_input_left_open_gets_the_end_of_input_error(console, capsys, source, error):
    _out, err = run(console, capsys, source)
    assert console.failed and error in err
    assert run(console, capsys, "2 + 2") == ("4\n", "")


CONTROL = st.characters(min_codepoint=0, max_codepoint=31) | st.sampled_from("\x7f\u2028\ufeff\udc80")
SOURCE = st.text(CONTROL | st.sampled_from("()[]{}:'\"\\#=+ ax1\n\tawait def if"), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=SOURCE, control=CONTROL, tail=SOURCE)
def test_any_text_with_control_characters_leaves_the_console_healthy(console, capsys, head, control, tail):
    source = head + control + tail
    assume(source.strip() not in ("exit", "quit"))
    _out, err = run(console, capsys, source)
    assert "internal error" not in err
    assert run(console, capsys, "1 + 1")[0].endswith("2\n")


def test_a_replaced_excepthook_gets_the_users_frames_only(console, capsys, monkeypatch):
    # The exceptiongroup backport (pytest, anyio, httpx, FastAPI on 3.10) replaces
    # sys.excepthook; python3's REPL hands it no frame of its own.
    seen: list[list[str]] = []

    def hook(etype, value, tb):
        frames = []
        while tb is not None:
            frames.append(tb.tb_frame.f_code.co_filename)
            tb = tb.tb_next
        seen.append(frames)

    monkeypatch.setattr("sys.excepthook", hook)
    run(console, capsys, "def f():\n    return 1/0\n")
    run(console, capsys, "f()")
    run(console, capsys, "import asyncio\nawait asyncio.sleep(0)\n1/0")
    run(console, capsys, "if x:")
    assert console.failed
    user = "<python-input-" if NUMBERED_INPUTS else "<stdin>"
    assert [[f.startswith(user) for f in frames] for frames in seen] == [[True, True], [True], []]


# -- pasted blocks: as Python 3.13's REPL runs them --------------------------------


def run_block(console: KernelConsole, capsys: pytest.CaptureFixture[str], source: str) -> tuple[str, str]:
    console.push_source(source, block=True)
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_block_with_blank_lines_inside_a_function_runs_whole(console, capsys):
    out, err = run_block(console, capsys, "def f():\n    x = 1\n\n    return x + 1\n\nprint(f())\n")
    assert (out, err) == ("2\n", "")
    assert not console.failed


def test_block_runs_statements_in_order_and_echoes_only_the_last(console, capsys):
    out, err = run_block(console, capsys, "a = 1\nprint('first', a)\na + 100\na += 1\na * 10\n")
    assert (out, err) == ("first 1\n20\n", "")


def test_block_that_does_not_compile_runs_nothing(console, capsys):
    out, err = run_block(console, capsys, "print('ran')\nx = = 1\n")
    assert out == ""
    assert "SyntaxError" in err
    assert console.failed


def test_block_goes_on_after_an_error_as_python_313_does(console, capsys):
    out, err = run_block(console, capsys, "1 / 0\nprint('after')\n")
    assert out == "after\n"
    assert "ZeroDivisionError" in err
    assert console.failed


def test_block_keeps_future_imports_and_allows_top_level_await(console, capsys):
    source = ("from __future__ import annotations\ndef g(x: Undefined) -> None: pass\n"
              "import asyncio\nawait asyncio.sleep(0)\nprint(g.__annotations__['x'])\n")
    out, err = run_block(console, capsys, source)
    assert (out, err) == ("Undefined\n", "")
    assert run(console, capsys, "def h(y: Missing): pass") == ("", "")  # the future import stays
