"""Fast unit tests of the shell's parts, no pty: protocol, commands, notices, watch table, replay, policy."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from fakes import FakeConsole

from freshrepl import protocol
from freshrepl.kernel.completer import complete
from freshrepl.shell.commands import COMMANDS, CommandRegistry, is_command, run_command
from freshrepl.shell.live_reload import LiveReload
from freshrepl.shell.notices import ModuleStates, notice, stale_notice
from freshrepl.shell.session import SessionRecord
from freshrepl.shell.supervisor import KernelSupervisor

# -- protocol ----------------------------------------------------------------------------

MESSAGES = [
    protocol.RunRequest("x = 1\n", replay=True),
    protocol.ReloadRequest(None, ["pkg.mod"]),
    protocol.ReloadRequest(["/a.py"]),
    protocol.CompleteRequest("os.pa"),
    protocol.ModulesRequest(),
    protocol.Hello(pid=42, python="3.11.7"),
    protocol.RunReply(ok=False, exit=3, error="Traceback…",
                      modules=protocol.ModuleDelta({"m": "/m.py"}, ["gone"])),
    protocol.ReloadReply([protocol.ReloadResult("m", "/m.py", protocol.RELOADED, "f changed",
                                                changed_names=["f"])]),
    protocol.CompleteReply(["os.path"], -5),
    protocol.ModulesReply(protocol.ModuleDelta()),
    protocol.ErrorReply("boom"),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_survives_the_wire(message):
    wire = protocol.encode(message, message_id=7)
    # What crosses is plain data: it unpickles without any class of ours.
    assert "freshrepl" not in repr(pickle.dumps(wire))
    assert protocol.message_id(wire) == 7
    assert protocol.decode(pickle.loads(pickle.dumps(wire))) == message


def test_an_unknown_message_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="unknown message"):
        protocol.decode({"op": "launch-missiles"})


def test_kernel_config_travels_in_the_environment_once():
    config = protocol.KernelConfig(argv=["s.py", "-v"], run_kind="script", run_target="s.py",
                                   parent=12, skip_first_line=True)
    environ = {protocol.KERNEL_CONFIG_ENV: config.to_env()}
    assert protocol.KernelConfig.from_env(environ) == config
    assert protocol.KERNEL_CONFIG_ENV not in environ  # user code does not inherit it


# -- meta-commands ------------------------------------------------------------------------


class FakeShell:
    """The shell's parts as the meta-commands see them, recording what they are asked."""

    def __init__(self, auto=True):
        self.calls, self.said = [], []
        self.auto = auto
        self.options = type("Options", (), {"watch": True})()
        self.dead, self.client = False, object()
        self.states = type("States", (), {"render": lambda states: "the watch table"})()

    def supervisor(self):
        return self

    def live_reload(self):
        return self

    def restart(self, replay, fresh=None):
        self.calls.append(("restart", replay, fresh))

    def show_checkpoints(self, clear):
        self.calls.append(("checkpoints", clear))
        return "the checkpoints"

    def reload_now(self, client, names):
        self.calls.append(("reload", names))
        return []

    def apply_pending_changes(self, sync):
        self.calls.append(("apply", sync))

    def report(self, results):
        self.calls.append(("report", results))

    def quit(self):
        self.calls.append(("quit",))

    def say(self, text):
        self.said.append(text)


@pytest.mark.parametrize("line, calls, said", [
    (":reload", [("reload", []), ("report", [])], ["nothing to reload: every module matches its file"]),
    (":reload a b.c", [("reload", ["a", "b.c"]), ("report", [])],
     ["nothing to reload: every module matches its file"]),
    (":restart", [("restart", True, None)], []),
    (":restart --fresh", [("restart", True, True)], []),
    (":restart --no-replay", [("restart", False, None)], []),
    (":checkpoints", [("checkpoints", False)], ["the checkpoints"]),
    (":checkpoints clear", [("checkpoints", True)], ["the checkpoints"]),
    (":watch", [("apply", True)], ["the watch table", "(automatic reloading is off: :auto on)"]),
    (":auto off", [], ["automatic reloading is off"]),
    ("  :auto on", [("apply", True)], ["automatic reloading is on"]),
    (":quit", [("quit",)], []),
])
def test_commands_reach_their_action(line, calls, said):
    shell = FakeShell(auto=False)
    run_command(line, shell)
    assert shell.calls == calls and shell.said == said


def test_auto_sets_the_policy():
    shell = FakeShell(auto=True)
    run_command(":auto off", shell)
    assert shell.auto is False
    run_command(":auto on", shell)
    assert shell.auto is True


@pytest.mark.parametrize("line, error", [
    (":frobnicate", "unknown command :frobnicate"),
    (":restart now", "usage: :restart [--fresh | --no-replay]"),
    (":restart --fresh --no-replay", "usage: :restart [--fresh | --no-replay]"),
    (":checkpoints all", "usage: :checkpoints [clear]"),
    (":auto maybe", "usage: :auto on|off (now on)"),
    (":auto", "usage: :auto on|off (now on)"),
    (":doc", "usage: :doc NAME (a name or dotted name, e.g. :doc os.path.join)"),
    (":doc a b", "usage: :doc NAME"),
    (":watch all", ":watch takes no arguments"),
    (":quit now", ":quit takes no arguments"),
    (":drop", "usage: :drop N [N…]"),
    (":drop -1", "usage: :drop N [N…]"),
    (":drop 2 x", "usage: :drop N [N…]"),
    (":record 3", ":record takes no arguments"),
])
def test_bad_commands_are_told_not_run(line, error):
    shell = FakeShell()
    run_command(line, shell)
    assert shell.calls == [] and len(shell.said) == 1
    assert shell.said[0].startswith("error: ") and error in shell.said[0]


def test_help_lists_every_command_and_the_auto_state():
    shell = FakeShell(auto=False)
    run_command(":help", shell)
    [text] = shell.said
    assert "automatic reloading on or off; on at start (now off)" in text
    for name in COMMANDS.commands:
        assert f"\n:{name}" in "\n" + text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_readme_table_is_the_registry():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert COMMANDS.readme_table() in readme


def test_a_registration_carries_name_arguments_help_and_handler():
    registry = CommandRegistry()

    @registry.command("greet", "NAME [NAME…]", help="say hello", hint="e.g. :greet ann")
    def greet(shell, args):
        shell.say("hello " + " ".join(args))

    shell = FakeShell()
    registry.run(":greet ann bob", shell)
    registry.run(":greet", shell)
    assert shell.said == ["hello ann bob", "error: usage: :greet NAME [NAME…] (e.g. :greet ann)"]
    assert registry.readme_table().endswith("| `:greet NAME [NAME…]` | say hello |")
    with pytest.raises(ValueError, match="twice"):
        registry.command("greet", help="again")
    with pytest.raises(ValueError, match="malformed"):
        registry.command("bad", "[a|]", help="bad pattern")


def test_only_a_single_line_starting_with_colon_is_a_command():
    assert is_command(":reload") and is_command("   :watch")
    assert not is_command("x = {1: 2}") and not is_command(":reload\nx")


# -- notices and the watch table -------------------------------------------------------------


def result(status, **fields):
    return protocol.ReloadResult("points", "/p/points.py", status, **fields)


def test_notices_say_what_the_contract_promises():
    assert notice(result(protocol.RELOADED, detail="Point.__repr__ added"), color=False) == (
        "↻ reloaded points (Point.__repr__ added)")
    failed = notice(result(protocol.FAILED, location="points.py:7",
                           error="SyntaxError: invalid syntax"), color=False)
    assert failed == ("✗ not reloaded points: points.py:7: SyntaxError: invalid syntax"
                      "  (kept the old points)")
    unsafe = notice(result(protocol.UNSAFE, detail="Square: base classes changed"), color=False)
    assert unsafe == "⚠ cannot reload points: Square: base classes changed"
    deleted = notice(result(protocol.DELETED), color=False)
    assert deleted == "✗ points.py was deleted (module points keeps its loaded code)"


def test_a_coloured_notice_is_the_plain_one_wrapped_in_one_colour():
    plain = notice(result(protocol.RELOADED), color=False)
    coloured = notice(result(protocol.RELOADED), color=True)
    assert coloured.startswith("\x1b[32m") and coloured.endswith("\x1b[0m")
    assert coloured[len("\x1b[32m"):-len("\x1b[0m")] == plain


def test_watch_table_follows_results_and_saves():
    table = ModuleStates()
    assert table.render() == "no user modules imported yet"
    added, dropped = table.apply_delta(protocol.ModuleDelta({"points": "/p/points.py",
                                                             "shapes": "/p/shapes.py"}))
    assert added == ["/p/points.py", "/p/shapes.py"] and dropped == []
    table.apply_result(result(protocol.UNSAFE, detail="Point: base classes changed"))
    table.mark_changed({"/p/points.py", "/p/shapes.py"})  # a stale module stays stale
    rows = dict(line.split(None, 1) for line in table.render().splitlines())
    assert rows["points"].startswith("stale") and "base classes changed" in rows["points"]
    assert rows["shapes"].startswith("changed") and ":reload to apply" in rows["shapes"]
    table.apply_result(result(protocol.RELOADED))
    assert table.modules["points"].state == "fresh"
    _, dropped = table.apply_delta(protocol.ModuleDelta(removed=["shapes"]))
    assert dropped == ["/p/shapes.py"] and "shapes" not in table.render()


def test_a_module_compared_without_a_result_matches_its_file_and_is_fresh():
    table = ModuleStates()
    table.apply_delta(protocol.ModuleDelta({"points": "/p/points.py", "shapes": "/p/shapes.py",
                                            "other": "/p/other.py"}))
    for name in ("points", "shapes", "other"):
        table.apply_result(protocol.ReloadResult(name, f"/p/{name}.py", protocol.UNSAFE, "C: bases"))
    table.mark_matching({"/p/points.py", "/p/shapes.py"},
                        [protocol.ReloadResult("shapes", "/p/shapes.py", protocol.UNSAFE, "C")])
    states = {name: module.state for name, module in table.modules.items()}
    assert states == {"points": "fresh", "shapes": "stale", "other": "stale"}  # other: not compared
    # An error about the request itself (no path): nothing is known to match.
    table.mark_matching(None, [protocol.ReloadResult("?", "", protocol.FAILED, error="internal")])
    assert table.modules["other"].state == "stale"
    table.mark_matching(None, [])  # :reload compared every module
    assert table.modules["other"].state == "fresh" and table.modules["other"].why == ""
    table.apply_result(protocol.ReloadResult("points", "/p/points.py", protocol.DELETED))
    table.apply_result(protocol.ReloadResult("points", "/p/points.py", protocol.UNCHANGED))
    assert table.modules["points"].state == "fresh"  # put back as it was


def test_declining_names_what_stays_stale_and_how_to_apply_it_later():
    one = [protocol.ReloadResult("shapes", "/p/shapes.py", protocol.UNSAFE, "C: bases")]
    assert stale_notice(one) == ("  kept the old code: shapes is now stale (:restart applies "
                                 "the edit, or fix shapes.py and :reload shapes)")
    two = one + [protocol.ReloadResult("points", "/p/points.py", protocol.UNSAFE, "P: bases")]
    assert stale_notice(two) == ("  kept the old code: shapes, points are now stale (:restart "
                                 "applies the edits, or fix their files and :reload shapes points)")


# -- replay against a fake kernel -------------------------------------------------------------


class FakeKernel:
    """Answers run requests from a script of outcomes, recording what it was asked."""

    def __init__(self, fails: set[str] = frozenset()) -> None:
        self.fails = fails
        self.ran: list[tuple[str, bool]] = []
        self.reload_calls: list[tuple] = []
        self.imported: list[bool] = []
        self.blocks: list[str] = []  # the sources run as pasted blocks

    def run(self, source, replay=False, on_wait=None, block=False, position=-1, rerun=False,
            on_sent=None):
        if on_sent is not None:
            on_sent()
        self.ran.append((source, replay))
        if block:
            self.blocks.append(source)
        ok = source not in self.fails
        return protocol.RunReply(ok=ok, error="" if ok else f"Traceback: {source}\n",
                                 modules=protocol.ModuleDelta({source: f"/{source}.py"}))

    class inbox:  # noqa: N801  (no checkpoints)
        @staticmethod
        def take():
            return []

        @staticmethod
        def drop():
            pass

    def reload(self, paths, names, imported=False):
        self.reload_calls.append((paths, names))
        self.imported.append(imported)
        results = [protocol.ReloadResult("m", path, protocol.RELOADED) for path in paths or []]
        return protocol.ReloadReply(results, protocol.ModuleDelta())


def recorded(*entries: tuple[str, bool]) -> SessionRecord:
    record = SessionRecord()
    for source, ok in entries:
        record.add(source, ok)
    return record


def test_replay_runs_the_successful_inputs_silently_in_order():
    record = recorded(("a", True), ("bad", False), ("b", True))
    kernel, progress, replies = FakeKernel(), [], []
    outcome = record.replay(kernel, progress=lambda d, t, n: progress.append((d, t, n)),
                            interrupted=lambda: False, on_reply=replies.append)
    assert kernel.ran == [("a", True), ("b", True)]
    assert progress == [(1, 2, 1), (2, 2, 3)] and len(replies) == 2
    assert outcome.replayed == 2 and outcome.summary().startswith("replayed 2 inputs in ")


def test_replay_runs_a_pasted_input_as_a_block_again():
    record = SessionRecord()
    record.add("typed", True)
    record.add("def f():\n    x = 1\n\n    return x", True, block=True)
    kernel = FakeKernel()
    record.replay(kernel, progress=lambda d, t, n: None, interrupted=lambda: False,
                  on_reply=lambda r: None)
    assert kernel.blocks == ["def f():\n    x = 1\n\n    return x"]
    assert [source for source, _ in kernel.ran] == ["typed", kernel.blocks[0]]


def test_replay_stops_at_the_first_input_that_now_fails():
    record = recorded(("a", True), ("b", True), ("c", True))
    outcome = record.replay(FakeKernel(fails={"b"}), progress=lambda d, t, n: None,
                            interrupted=lambda: False, on_reply=lambda r: None)
    assert (outcome.replayed, outcome.failed_at, outcome.error) == (1, 2, "Traceback: b\n")
    assert outcome.summary() == ("replay stopped at input 2 (b), which now fails; "
                                 "1 of 3 inputs replayed")


def test_replay_stops_when_interrupted():
    outcome = recorded(("a", True), ("b", True)).replay(
        FakeKernel(), progress=lambda d, t, n: None, interrupted=lambda: True,
        on_reply=lambda r: None)
    assert outcome.interrupted and outcome.summary().startswith("replay interrupted at input 1 ")


def test_supervisor_restart_replays_and_reports_through_its_console(monkeypatch):
    from freshrepl.shell.options import Options

    console, modules, fresh = FakeConsole([]), [], []
    supervisor = KernelSupervisor(Options(), console, on_modules=modules.append,
                                  on_new_kernel=lambda: fresh.append(True))
    fake = FakeKernel()
    monkeypatch.setattr(supervisor, "client", fake)
    fake.kill = fake.start = lambda: None
    fake.ready = False
    fake.wait_ready = lambda: protocol.Hello(1, "3")
    fake.modules = protocol.ModuleDelta
    supervisor.record = recorded(("x = 1", True), ("oops", False))
    supervisor.restart(replay=True, fresh=True)
    assert fresh == [True] and fake.ran == [("x = 1", True)]
    assert console.out[-1].startswith("replayed 1 input in ")
    console.answers = [False]
    assert supervisor.ask_restart() is False
    assert console.out[-1] == "Restart the kernel and replay 1 input (1)? [Y/n]"


# -- the live-reload policy --------------------------------------------------------------------


def test_policy_without_a_watcher_compares_only_on_reload_now():
    woken: list[bool] = []
    policy = LiveReload(watch=False, on_change=lambda: woken.append(True))
    policy.track(protocol.ModuleDelta({"m": "/m.py"}))
    kernel = FakeKernel()
    assert policy.check(kernel, sync=True) == [] and kernel.reload_calls == []
    policy.reload_now(kernel, [])
    assert kernel.reload_calls == [(None, [])]  # None: compare every module
    policy.reload_now(kernel, ["m"])
    assert kernel.reload_calls[-1] == ([], ["m"])


def test_policy_has_the_kernel_compare_newly_imported_modules_once(tmp_path):
    # Not by their paths (thousands may travel): the kernel knows which they are.
    module = tmp_path / "m.py"
    module.write_text("X = 1\n")
    policy = LiveReload(watch=True, on_change=lambda: None)
    try:
        kernel = FakeKernel()
        assert policy.check(kernel, sync=True) == [] and kernel.reload_calls == []
        policy.track(protocol.ModuleDelta({"m": str(module)}))
        policy.check(kernel, sync=True)
        assert kernel.reload_calls == [([], [])] and kernel.imported == [True]
        policy.check(kernel, sync=True)  # nothing imported, nothing saved since
        assert len(kernel.reload_calls) == 1
        policy.track(protocol.ModuleDelta({}, ["m"]))
        policy.check(kernel, sync=True)
        assert len(kernel.reload_calls) == 1
    finally:
        policy.stop()


def test_policy_records_results_in_its_table():
    policy = LiveReload(watch=False, on_change=lambda: None)
    policy.track(protocol.ModuleDelta({"m": "/m.py"}))

    class Unsafe(FakeKernel):
        def reload(self, paths, names, imported=False):
            return protocol.ReloadReply([protocol.ReloadResult("m", "/m.py", protocol.UNSAFE,
                                                               "C: bases changed")])

    results = policy.reload_now(Unsafe(), [])
    assert [r.status for r in results] == [protocol.UNSAFE]
    assert policy.states.modules["m"].state == "stale"


# -- the kernel's completer ----------------------------------------------------------------------


def test_completer_offers_names_attributes_and_modules():
    namespace = {"alpha": 1, "alphabet": "abc"}
    matches, start = complete("x = alp", namespace)
    assert {"alpha", "alphabet"} <= set(matches) and start == -3
    matches, start = complete("alphabet.upp", namespace)
    assert [m[:15] for m in matches] == ["alphabet.upper("] and start == -len("alphabet.upp")
    matches, start = complete("import o", namespace)
    assert "os" in matches and start == -1
    matches, _ = complete("from os import pa", namespace)
    assert "path" in matches


# -- the kernel's bootstrap ---------------------------------------------------------------------


def test_kernel_bootstrap_loads_this_freshrepl_not_another_on_the_path(tmp_path):
    import os
    import subprocess
    import sys

    from freshrepl.shell import kernel_process

    impostor = tmp_path / "elsewhere" / "freshrepl"
    impostor.mkdir(parents=True)
    (impostor / "__init__.py").write_text("raise SystemExit('the wrong freshrepl')\n")
    setup = kernel_process.BOOTSTRAP.format(root=kernel_process.SOURCE_ROOT).split("import freshrepl")[0]
    probe = setup + "import freshrepl, sys\nprint(freshrepl.__file__)\nprint('' in user_path)\n"
    env = dict(os.environ, PYTHONPATH=str(impostor.parent))
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded, user_path_kept_cwd = done.stdout.split()
    assert loaded == os.path.join(kernel_process.SOURCE_ROOT, "freshrepl", "__init__.py")
    assert user_path_kept_cwd == "True"  # user code gets its directory back later


def test_completion_menu_shortens_dotted_names_but_not_file_names():
    from freshrepl.shell.completion import _short

    assert _short("os.path", "os.pa") == "path"
    assert _short("setup.cfg", "set") == "setup.cfg"
    assert _short("src/setup.cfg", "src/se") == "src/setup.cfg"
    assert _short("os.", "o") == "os."
    assert _short("./src/", "./sr") == "./src/"


def test_an_input_with_top_level_await_is_complete_like_any_other():
    from freshrepl.shell.editor import is_complete

    assert is_complete("await asyncio.sleep(0)")
    assert is_complete("x = await t")
    assert not is_complete("async with lock:\n    await t")
    assert is_complete("async with lock:\n    await t\n")
