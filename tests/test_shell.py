"""End-to-end tests of the interactive shell in a real pty: what a person at a terminal sees."""

from __future__ import annotations

import os
import re
import signal
import sys

import pytest
from term import other_python


def test_banner_prompt_result_and_underscore(spawn):
    term = spawn()
    text = term.wait_prompt(1)
    assert "Python " in text and "freshrepl" in text and ":help" in text
    assert term.run("1 + 1") == "2"
    assert term.run("_ * 10") == "20"
    assert term.run("None") == ""


def test_quiet_has_no_banner(spawn):
    term = spawn("-q")
    assert term.wait_prompt(1).startswith(">>>")


def test_multiline_def_needs_blank_line_and_auto_indents(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line("def double(x):")
    term.wait_for("\n...")
    term.line("return x * 2")  # auto-indent supplies the four spaces
    term.wait_for("...     return x * 2")
    term.line("")
    term.wait_prompt(2)
    assert term.run("double(21)") == "42"


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["x = (1,", "2)", "x"], "(1, 2)"),
        (["y = 1 + \\", "2", "y"], "3"),
        (["for i in range(3):", "print(i)", "", ""], "0\n1\n2"),
    ],
)
def test_continuation_like_python3(spawn, lines, expected):
    term = spawn("-q")
    term.wait_prompt(1)
    for line in lines:
        term.line(line)
    term.wait_for(expected)
    term.wait_idle()
    assert term.text().count("\n...") == len(lines) - 2


def test_traceback_like_python3(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    output = term.run("1/0")
    assert output == (
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 1, in <module>\n'
        "ZeroDivisionError: division by zero"
    ) or "<python-input-" in output
    assert "freshrepl" not in output


def test_syntax_error_keeps_session(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    assert "SyntaxError" in term.run("x = = 1")
    assert term.run("2 ** 10") == "1024"


def test_bracketed_paste_runs_block_like_python3(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    block = "def sq(n):\n    return n * n\n\nprint(sq(7))\n"
    term.send("\x1b[200~" + block + "\x1b[201~")
    term.wait_for(re.compile(r"^49$", re.M))
    term.wait_prompt(2)
    assert term.run("sq(3)") == "9"


def test_input_and_getpass_read_the_terminal(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line('name = input("name? ")')
    term.wait_for(re.compile(r"^name\?$", re.M))
    term.line("ada")
    term.wait_prompt(2)
    assert term.run("name") == "'ada'"
    term.line('import getpass; pw = getpass.getpass("pw: ")')
    term.wait_for(re.compile(r"^pw:$", re.M))
    term.line("secret")
    term.wait_prompt(4)
    assert term.run("len(pw)") == "6"
    assert "secret" not in term.text()


def test_ctrl_c_at_prompt_clears_line(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("abc")
    term.wait_for(">>> abc")
    term.send("\x03")
    term.wait_for("KeyboardInterrupt")
    term.wait_prompt(2)
    assert term.run("1") == "1"


@pytest.mark.parametrize("code", ["while True: pass\r", "import time; time.sleep(30)", "input()"])
def test_ctrl_c_interrupts_running_code_and_keeps_namespace(spawn, code):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("kept = 'yes'")
    term.line(code)
    term.wait_for(code.strip() + ("\n..." if code.endswith("\r") else ""))
    term.pump(0.3)
    term.send("\x03")
    term.wait_for("KeyboardInterrupt", timeout=3)
    term.wait_prompt(3, timeout=3)
    assert term.run("kept") == "'yes'"


def test_ctrl_d_exits_zero(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("\x04")
    assert term.wait_exit() == 0


@pytest.mark.parametrize("how, status", [("exit(5)", 5), ("quit()", 0), (":quit", 0),
                                         ("import sys; sys.exit('bye')", 1)])
def test_exit_status(spawn, how, status):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line(how)
    assert term.wait_exit() == status


def test_atexit_output_appears_before_shell_exits(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import atexit; atexit.register(print, 'goodbye from atexit')")
    term.send("\x04")
    assert term.wait_exit() == 0
    assert "goodbye from atexit" in term.text()


def test_meta_commands_help_and_unknown(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    help_text = term.run(":help")
    for command in (":reload", ":restart", ":watch", ":auto", ":quit"):
        assert command in help_text
    assert "unknown command :frobnicate" in term.run(":frobnicate")


@pytest.mark.parametrize(
    "code, how",
    [
        ("import os; os._exit(3)", "exit status 3"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
        ("import ctypes; ctypes.string_at(0)", "SIGSEGV"),
    ],
)
def test_kernel_death_is_survived_and_reported(spawn, code, how):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("x = 41")
    term.line(code)
    term.wait_for(f"kernel died ({how})")
    term.wait_for("Restart the kernel and replay 1 input (1)? [Y/n]")
    term.send("y")
    # From a fresh kernel, or from :undo's checkpoint after input 1 if it was taken
    # (while idle) before input 2 came: either way, nothing but input 1 is in the new kernel.
    term.wait_for(re.compile(r"replayed 1 input|restarted from input 1 \(replayed 0 inputs"))
    assert term.run("x + 1") == "42"


def test_kernel_death_answer_no_leaves_restart_available(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line("import os; os._exit(7)")
    term.wait_for("Restart the kernel and replay 0 inputs? [Y/n]")
    term.send("n")
    term.wait_prompt(2)
    assert ":restart" in term.run("1 + 1")
    term.run(":restart")
    assert term.run("1 + 1") == "2"


def test_tab_completes_names_attributes_and_modules(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import os")
    term.run("unique_variable_name = 1")
    term.send("unique_var\t")
    term.wait_for(">>> unique_variable_name")
    term.send("\x03")
    term.wait_prompt(4)
    term.send("os.getpi\t")
    term.wait_for(">>> os.getpid(")
    term.send("\x03")
    term.wait_prompt(5)
    term.send("import colle\t")
    term.wait_for(">>> import collections")


def test_kernel_is_a_separate_process_and_never_outlives_shell(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    kernel_pid = int(term.run("import os; os.getpid()"))
    assert kernel_pid != term.child.pid
    os.kill(term.child.pid, signal.SIGTERM)
    term.wait_exit()
    _wait_gone(kernel_pid)


def test_kernel_dies_with_shell_on_sigkill(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    kernel_pid = int(term.run("import os; os.getpid()"))
    os.kill(term.child.pid, signal.SIGKILL)
    term.wait_exit()
    _wait_gone(kernel_pid)


def test_history_persists_and_is_private(spawn, home):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("first_session_value = 99")
    term.line("def g():")
    term.line("return 1")
    term.line("")
    term.wait_prompt(3)
    term.send("\x04")
    term.wait_exit()
    path = home / "state" / "freshrepl" / "history"
    assert path.exists()
    assert (path.stat().st_mode & 0o777) == 0o600
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("\x1b[A")  # up: the multi-line entry comes back whole
    term.wait_for("...     return 1")
    term.send("\x03")
    term.wait_prompt(2)
    term.send("\x12first_sess")  # Ctrl-R search
    term.wait_for("first_session_value = 99")


def test_unwritable_history_warns_once_and_goes_on(spawn, tmp_path):
    blocked = tmp_path / "no-such-dir-file"
    blocked.write_text("")
    term = spawn("-q", env={"FRESHREPL_HISTORY": str(blocked / "history")})
    term.wait_prompt(1)
    term.run("1")
    term.run("2")
    term.wait_for("warning")  # inputs typed before the editor is up are saved once it is
    assert term.run("3") == "3"
    assert term.text().count("warning") == 1


def test_no_color_emits_no_colour_codes(spawn):
    term = spawn("-q", "--no-color")
    term.wait_prompt(1)
    term.run("def f(): return 'text' # comment\r")
    assert not re.search(rb"\x1b\[[0-9;]*3[0-9]", term.raw)


def test_color_highlights_input_by_default(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("def f(): return 'text'")
    term.wait_for("return 'text'")
    # Keys typed at the first prompt may be echoed plain until the editor is up.
    term.wait_for(lambda _: re.search(rb"\x1b\[[0-9;]*3[0-9]", term.raw) is not None)


def test_dash_i_script_runs_as_main_then_shell(spawn, project):
    (project / "script.py").write_text("import sys\nGREETING = 'hi ' + sys.argv[1]\nprint('ran')\n")
    term = spawn("-q", "-i", "script.py", "there")
    term.wait_for("ran")
    term.wait_prompt(1)
    assert term.run("GREETING, __name__") == "('hi there', '__main__')"


def test_pythonstartup_runs_in_kernel(spawn, project):
    startup = project / "startup.py"
    startup.write_text("FROM_STARTUP = 'loaded'\n")
    term = spawn("-q", env={"PYTHONSTARTUP": str(startup)})
    term.wait_prompt(1)
    assert term.run("FROM_STARTUP") == "'loaded'"


def test_help_and_pdb_work_in_kernel(spawn):
    term = spawn("-q", env={"PAGER": "cat"})
    term.wait_prompt(1)
    term.line("def h(a):")
    term.line("breakpoint()")
    term.line("return a + 1")
    term.line("")
    term.wait_prompt(2)
    term.line("h(1)")
    term.wait_for("(Pdb)")
    term.line("p a")
    term.wait_for(re.compile(r"^1$", re.M))
    term.line("c")
    term.wait_for(re.compile(r"^2$", re.M))
    term.wait_prompt(3)
    output = term.run("help(len)")
    assert "Return the number of items" in output


def _wait_gone(pid: int) -> None:
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split()[2] == "Z":
                return
        time.sleep(0.05)
    raise AssertionError(f"kernel {pid} still alive")


if sys.platform != "linux":  # pragma: no cover
    pytest.skip("pty tests need Linux", allow_module_level=True)


def test_input_typed_before_kernel_is_ready_runs(spawn):
    term = spawn("-q")
    term.send("40 + 2\r")  # at once, before anything is drawn
    term.wait_for(re.compile(r"^42$", re.M))
    term.wait_idle()


def test_dash_i_dash_c_and_dash_m(spawn, project):
    term = spawn("-q", "-i", "-c", "import sys; ARGS = sys.argv", "x", "y")
    term.wait_prompt(1)
    assert term.run("ARGS") == "['-c', 'x', 'y']"
    (project / "tool.py").write_text("import sys\nTOOL_ARGS = sys.argv[1:]\nNAME = __name__\n")
    term = spawn("-q", "-i", "-m", "tool", "z")
    term.wait_prompt(1)
    assert term.run("TOOL_ARGS, NAME") == "(['z'], '__main__')"


def test_python_option_chooses_the_kernel_interpreter(spawn):
    found = other_python()
    if found is None:
        pytest.skip("no second supported CPython (3.10-3.13) on PATH or in pyenv")
    other, version = found
    term = spawn("-q", "--python", other)
    term.wait_prompt(1)
    assert term.run("import sys; sys.version_info[:2]") == repr(version)


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_from_environment(spawn, env):
    term = spawn("-q", env=env)
    term.wait_prompt(1)
    term.run("x = 'text'  # comment")
    assert not re.search(rb"\x1b\[[0-9;]*3[0-9]", term.raw)


def test_two_shells_at_once_both_keep_their_lines(spawn, home):
    first, second = spawn("-q"), spawn("-q")
    first.wait_prompt(1)
    second.wait_prompt(1)
    first.run("from_first = 1")
    second.run("from_second = 2")
    first.run("again_first = 3")
    for term in (first, second):
        term.send("\x04")
        term.wait_exit()
    history = (home / "state" / "freshrepl" / "history").read_text()
    for line in ("from_first = 1", "from_second = 2", "again_first = 3"):
        assert f"+{line}" in history


def test_an_input_is_in_the_history_file_while_it_runs(spawn, home):
    """The file is written once the input is sent, not after: a shell killed while it
    runs (no clean-up at all, kernel and all in one go) has kept it."""
    term = spawn("-q")
    term.wait_prompt(1)
    term.wait_editor()  # lines run at the early prompt are added once it is up
    term.send("print('run' + 'ning'); import time; time.sleep(60)\r")
    term.wait_for("running")
    path = home / "state" / "freshrepl" / "history"
    assert "+print('run' + 'ning'); import time; time.sleep(60)" in path.read_text()
    os.killpg(os.getpgid(term.child.pid), signal.SIGKILL)  # the shell's job: shell and kernel
    term.wait_exit()
    assert "time.sleep(60)" in path.read_text()


def test_corrupt_history_is_never_truncated(spawn, home):
    path = home / "state" / "freshrepl" / "history"
    path.parent.mkdir(parents=True)
    garbage = b"\x00\xff\xfe not a history file \x80\n+half entry\n\xc3"
    path.write_bytes(garbage)
    term = spawn("-q")
    term.wait_for("history file")  # shown above the prompt, once
    term.wait_idle()
    assert term.run("7 * 6") == "42"
    assert term.text().count("history file") == 1 and "damaged" in term.text()
    term.send("\x04")
    term.wait_exit()
    data = path.read_bytes()
    assert data.startswith(garbage) and b"+7 * 6" in data


def test_kernel_ignoring_ctrl_c_can_be_killed(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)")
    term.line("while True: pass")
    term.line("")
    term.pump(0.3)
    term.send("\x03")
    term.pump(0.7)
    term.send("\x03")
    term.wait_for("not responding to Ctrl-C. Kill it? [y/N]")
    term.send("y")
    term.wait_for("kernel died (SIGKILL)")
    term.wait_for("[Y/n]")
    term.send("n")
    term.wait_idle()


def test_kernel_dies_when_terminal_closes_during_a_run(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    kernel_pid = int(term.run("import os; os.getpid()"))
    term.line("import time; time.sleep(60)")
    term.pump(0.3)
    term.child.close(force=False)  # hang up the terminal
    _wait_gone(kernel_pid)


def test_completion_of_keywords_and_from_import(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("whil\t")
    term.wait_for(">>> while")
    term.send("\x03")
    term.wait_prompt(2)
    term.send("from os import getpi\t")
    term.wait_for(">>> from os import getpid")


def test_output_without_final_newline_stays_visible(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run('print("no newline", end="")')
    assert "\nno newline\n>>>" in term.text()
    assert term.run("1") == "1"


def test_dash_x_skips_the_scripts_first_line(spawn, project):
    (project / "odd.py").write_text("this line is not python\nVALUE = 3\n1 / 0\n")
    term = spawn("-q", "-x", "-i", "odd.py")
    text = term.wait_prompt(1)
    assert 'odd.py", line 3' in text and "ZeroDivisionError" in text
    assert term.run("VALUE") == "3"


def test_kernel_killed_while_idle_is_reported_at_once(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("y = 5")
    kernel_pid = int(term.run("import os; os.getpid()"))
    os.kill(kernel_pid, signal.SIGKILL)
    term.wait_for("kernel died (SIGKILL)")
    term.wait_for("Restart the kernel and replay 2 inputs (1–2)? [Y/n]")
    term.send("\r")
    # From the checkpoint taken while idle after input 2 (or 1, then input 2 replayed),
    # or replayed in full: the kill may come before the kernel was idle long enough.
    term.wait_for(re.compile(
        r"restarted from input (2 \(replayed 0 inputs|1 \(replayed 1 input )|replayed 2 inputs"))
    assert term.run("y") == "5"


def test_terminal_mode_is_restored_at_exit(tmp_path, home):
    import pexpect
    from term import freshrepl_command, isolated_env

    script = tmp_path / "check.sh"
    command = " ".join(freshrepl_command())
    script.write_text(
        f"stty -g > {tmp_path}/before\n{command} -q\nstty -g > {tmp_path}/after\necho done\n"
    )
    child = pexpect.spawn("sh", [str(script)], env=isolated_env(home), dimensions=(30, 100))
    try:
        child.expect(">>>", timeout=15)
        child.send("import getpass\r")
        child.expect(">>>", timeout=15)
        child.send("\x04")
        child.expect("done", timeout=15)
    finally:
        child.close(force=True)
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()


def test_kernel_looks_interactive_and_input_has_line_editing(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    assert term.run("import sys; sys.ps1, sys.ps2") == "('>>> ', '... ')"
    term.line("answer = input('> ')")
    term.wait_for(re.compile(r"^>$", re.M))  # input()'s own prompt, alone on its line
    term.send("abd\x1b[D\x7fc\x1b[C\r")  # left, backspace, retype: readline editing
    term.wait_idle()
    output = term.run("answer")
    assert output == "'acd'", term.text()


def test_project_files_named_like_stdlib_modules_do_not_break_the_kernel(spawn, project):
    for name in ("json", "ast", "socket", "code", "token", "signal", "select", "pickle"):
        (project / f"{name}.py").write_text("raise RuntimeError('user file imported')\n")
    term = spawn("-q")
    term.wait_prompt(1)
    assert term.run("6 * 7") == "42"
    (project / "mine.py").write_text("VALUE = 'from cwd'\n")
    assert term.run("import mine; mine.VALUE") == "'from cwd'"


def test_full_disk_for_history_warns_once_and_loses_nothing(spawn):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    term = spawn("-q", env={"FRESHREPL_HISTORY": "/dev/full"})
    term.wait_for("not a regular file")
    term.wait_idle()
    assert term.run("a = 20") == ""
    assert term.run("a + 1") == "21"
    assert term.run("a * 2") == "40"
    assert term.text().count("warning") == 1
