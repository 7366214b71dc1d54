"""The session record: numbers that never change, what leaves it, and the supervisor keeping it true.

No pty: the supervisor drives a fake kernel whose inputs may fail, kill it,
or be followed by a checkpoint notice as the real kernel's are.
"""

from __future__ import annotations

import os
import socket

import pytest
from fakes import FakeConsole

from freshrepl import protocol
from freshrepl.digests import write_listing
from freshrepl.shell.commands import run_command
from freshrepl.shell.kernel_client import KernelDied
from freshrepl.shell.options import Options
from freshrepl.shell.session import (
    LISTED,
    Entry,
    ReplayOutcome,
    SessionRecord,
    dropped_note,
    listing,
    render_record,
    span,
)
from freshrepl.shell.supervisor import KernelSupervisor


def recorded(*sources: str) -> SessionRecord:
    """A record of these inputs; those starting with ``!`` failed."""
    record = SessionRecord()
    for source in sources:
        record.add(source.lstrip("!"), not source.startswith("!"))
    return record


def numbers(record: SessionRecord) -> list[int]:
    return [entry.number for entry in record.entries]


# -- the record ----------------------------------------------------------------------------


def test_inputs_are_numbered_from_one_and_numbers_are_never_reused():
    record = recorded("a", "!b", "c", "d")
    assert numbers(record) == [1, 2, 3, 4]
    assert record.drop(2) == Entry(2, "b", False, False)
    assert [e.number for e in record.drop_from(4)] == [4]
    assert record.add("e", True).number == 5  # not 2, not 4: those meant other inputs
    assert numbers(record) == [1, 3, 5] and record.last_number() == 5


def test_drop_from_takes_out_that_input_and_every_later_one():
    record = recorded("a", "b", "c", "d")
    record.drop(2)
    assert [e.source for e in record.drop_from(2)] == ["c", "d"]  # 2 is gone already: from 3 on
    assert numbers(record) == [1]
    assert record.drop_from(9) == [] and numbers(record) == [1]
    assert [e.source for e in record.drop_from(1)] == ["a"] and record.last_number() == 0


def test_dropping_an_input_not_in_the_record_is_a_key_error_and_changes_nothing():
    record = recorded("a", "b")
    record.drop(1)
    with pytest.raises(KeyError):
        record.drop(1)
    with pytest.raises(KeyError):
        record.drop(7)
    assert numbers(record) == [2]


def test_number_before_is_where_a_checkpoint_before_that_input_stands():
    record = recorded("a", "b", "c")
    record.drop(2)
    assert [record.number_before(n) for n in (1, 2, 3, 4)] == [0, 1, 1, 3]


def test_replay_after_a_number_runs_only_the_successful_inputs_above_it():
    record = recorded("a", "!b", "c", "d")
    record.drop(3)
    kernel, progress = FakeKernel(), []
    outcome = record.replay(kernel, progress=lambda *p: progress.append(p),
                            interrupted=lambda: False, on_reply=lambda r: None, after=1)
    assert kernel.ran == ["d"] and progress == [(1, 1, 4)]
    assert outcome.first == 1 and outcome.total == 1


def test_a_stopped_replay_names_what_it_left_out_by_number_and_first_line():
    left = [Entry(n, f"x{n} = {n}\nprint(x{n})", True) for n in range(3, 3 + LISTED + 2)]
    outcome = ReplayOutcome(1, 14, 0.1, failed_at=3, failed_source=left[0].source, left_out=left)
    lines = outcome.summary().splitlines()
    assert lines[0] == "replay stopped at input 3 (x3 = 3), which now fails; 1 of 14 inputs replayed"
    assert lines[1].startswith("not replayed, and out of the record now")
    assert lines[2] == "     3  x3 = 3  (+1 line)"
    assert lines[-1] == "    … and 2 more" and len(lines) == 2 + LISTED + 1


def test_listing_cuts_long_lines_and_span_names_the_numbers():
    long = Entry(7, "y = " + "1 + " * 40 + "1", True)
    assert listing([long]) == "     7  " + long.source[:59] + "…"
    assert span([]) == "" and span([long]) == "7"
    assert span([Entry(2, "a", True), long]) == "2–7"


def test_restarting_from_a_checkpoint_before_any_input_names_the_first_input():
    outcome = ReplayOutcome(2, 2, 0.05, resumed_at=0, first=11)
    assert outcome.summary() == "restarted from before input 11 (replayed 2 inputs in 0.05 s)"


def test_the_listing_puts_each_checkpoint_between_the_inputs_it_stands_after():
    record = recorded("a", "!1/0", "def f():\n    return 1\n", "b")
    record.drop(4)
    marks = [(2, "checkpoint #2 (after a 4.0 s input)"), (0, "checkpoint #1 (after start-up)")]
    assert render_record(record, marks, holds_dropped=True).splitlines() == [
        "input  result  source",
        "               ── checkpoint #1 (after start-up)",
        "    1  ok      a",
        "    2  failed  1/0",
        "               ── checkpoint #2 (after a 4.0 s input)",
        "    3  ok      def f():  (+1 line)",
        "3 inputs; a restart replays the 2 that succeeded (:drop N takes one out)",
        "this kernel still holds what the dropped inputs did; a restart leaves it out",
    ]
    assert render_record(SessionRecord(), []) == "the record is empty: a restart replays nothing"


def test_the_drop_note_says_what_a_restart_and_the_live_kernel_do():
    entry = Entry(3, "x = 1", True)
    assert dropped_note(entry, 0, kernel_keeps=False) == (
        "dropped input 3 (x = 1): a restart will not replay it")
    assert dropped_note(entry, 2, kernel_keeps=True) == (
        "dropped input 3 (x = 1): a restart will not replay it; this kernel keeps its effects; "
        "2 checkpoints holding them ended")


# -- the supervisor keeps the record what the kernel holds ------------------------------------


class FakeKernel:
    """Runs inputs by name: ``fails`` fail, ``kills`` kill it; ``checkpoint`` ones are
    followed (``True``) or preceded (``False``) by a checkpoint notice."""

    process = type("Process", (), {"on_exit": None})()

    def __init__(self, fails=(), kills=(), checkpoint=None) -> None:
        self.fails, self.kills = set(fails), set(kills)
        self.checkpoint = checkpoint or {}
        self.ran: list[str] = []
        self.notices: list = []
        self.ready = False

    def run(self, source, replay=False, on_wait=None, block=False, position=-1, rerun=False,
            on_sent=None, since=None):
        if on_sent is not None:
            on_sent()
        if source in self.kills:
            raise KernelDied("SIGSEGV")
        self.ran.append(source)
        if source in self.checkpoint:
            ours, theirs = socket.socketpair()
            self.peers = getattr(self, "peers", []) + [theirs]
            notice = protocol.CheckpointTaken(os.getpid(), self.checkpoint[source], source)
            self.notices.append((notice, [ours.detach(), write_listing([])]))
        if source.startswith("thread"):
            self.notices.append((protocol.CheckpointSkipped(True, "a thread is running"), []))
        ok = source not in self.fails
        return protocol.RunReply(ok=ok, error="" if ok else f"Traceback: {source}\n")

    @property
    def inbox(self):  # the checkpoint messages, as the client's inbox gives them
        return self

    def take(self):
        notices, self.notices = self.notices, []
        return notices

    def drop(self):
        for _notice, fds in self.take():
            for fd in fds:
                os.close(fd)

    def start(self): ...
    def kill(self): ...
    def alive(self): return True
    def wait_ready(self): return protocol.Hello(1, "3")
    def modules(self): return protocol.ModuleDelta()


def supervised(kernel: FakeKernel, answers=()) -> tuple[KernelSupervisor, FakeConsole]:
    console = FakeConsole(answers)
    # The fake checkpoints are this test process (their pid is ours): whatever memory the
    # whole suite left it holding must not count against the budget.
    supervisor = KernelSupervisor(Options(checkpoint_memory_mb=10**9), console,
                                  on_modules=lambda d: None, on_new_kernel=lambda: None)
    supervisor.client = kernel  # type: ignore[assignment]
    return supervisor, console


def positions(supervisor: KernelSupervisor) -> list[int]:
    return [c.position for c in supervisor.checkpoints.items]


def test_checkpoints_stand_at_input_numbers():
    kernel = FakeKernel(checkpoint={"slow": True, "import m": False})
    supervisor, _ = supervised(kernel)
    for source in ("a", "slow", "b", "import m"):
        supervisor.run(source)
    assert positions(supervisor) == [2, 3]  # after input 2; before input 4
    supervisor.close()


def test_a_replay_that_stops_takes_the_rest_out_of_the_record_and_its_checkpoints_end():
    kernel = FakeKernel(checkpoint={"early": True, "late": True})
    supervisor, console = supervised(kernel)
    for source in ("early", "b", "late", "c"):
        supervisor.run(source)
    assert positions(supervisor) == [1, 3]
    kernel.fails, kernel.checkpoint = {"b"}, {}
    supervisor.restart(replay=True, fresh=True)
    assert numbers(supervisor.record) == [1]
    assert positions(supervisor) == [1]  # the one after input 3 held inputs out of the record
    assert "not replayed, and out of the record now" in console.out[-1]
    assert "     2  b\n     3  late\n     4  c" in console.out[-1]
    supervisor.run("b2")
    assert numbers(supervisor.record) == [1, 5]
    kernel.ran.clear()
    supervisor.restart(replay=True, fresh=True)
    assert kernel.ran == ["early", "b2"]
    supervisor.close()


def test_restart_without_replay_empties_the_record_keeping_a_checkpoint_of_no_inputs():
    kernel = FakeKernel(checkpoint={"a": False, "slow": True})
    supervisor, console = supervised(kernel)
    supervisor.run("a")
    supervisor.run("slow")
    assert positions(supervisor) == [0, 2]
    supervisor.run("thread started")
    assert supervisor.checkpoints.skipped == "no checkpoint after input 3: a thread is running"
    supervisor.restart(replay=False)
    assert supervisor.record.entries == [] and positions(supervisor) == [0]
    assert supervisor.checkpoints.skipped is None  # it was about input 3, gone with the record
    assert console.out[-1] == "new kernel started; the namespace and the record are empty\n"
    supervisor.run("b")
    kernel.ran.clear()
    supervisor.restart(replay=True, fresh=True)
    assert kernel.ran == ["b"]
    supervisor.close()


def test_dropping_an_input_ends_the_checkpoints_holding_it_and_takes_none_until_a_restart():
    kernel = FakeKernel(checkpoint={"a": True, "b": True, "c": True})
    supervisor, _ = supervised(kernel)
    for source in ("a", "b", "c"):
        supervisor.run(source)
    entry, ended = supervisor.forget(2)
    assert entry.source == "b" and ended == 2 and positions(supervisor) == [1]
    supervisor.run("c")  # the kernel still holds b: a checkpoint now would bring it back
    assert positions(supervisor) == [1] and numbers(supervisor.record) == [1, 3, 4]
    kernel.ran.clear()
    supervisor.restart(replay=True, fresh=True)
    assert kernel.ran == ["a", "c", "c"]
    assert positions(supervisor) == [1, 3, 4]  # in line with the record again
    supervisor.run("a")
    assert positions(supervisor) == [1, 3, 4, 5]
    supervisor.close()


def test_an_input_that_kills_the_kernel_in_a_replay_leaves_the_record_with_what_followed():
    kernel = FakeKernel()
    supervisor, console = supervised(kernel, answers=[False])
    for source in ("a", "boom", "c"):
        supervisor.run(source)
    kernel.kills = {"boom"}
    supervisor.restart(replay=True, fresh=True)
    said = "".join(console.out)
    assert "kernel died (SIGSEGV)\nreplay stopped at input 2 (boom), which killed the kernel" in said
    assert "     2  boom\n     3  c" in said
    assert console.out[-1] == "Restart the kernel and replay 1 input (1)? [Y/n]"
    assert numbers(supervisor.record) == [1]
    supervisor.close()


def test_the_restart_question_names_the_inputs_it_would_replay():
    supervisor, console = supervised(FakeKernel(), answers=[False, False, False])
    supervisor.ask_restart()
    supervisor.record = recorded("a", "!b", "c", "d")
    supervisor.ask_restart()
    supervisor.record.drop(4)
    supervisor.record.drop(1)
    supervisor.ask_restart()
    assert console.out == ["Restart the kernel and replay 0 inputs? [Y/n]",
                           "Restart the kernel and replay 3 inputs (1–4)? [Y/n]",
                           "Restart the kernel and replay 1 input (3)? [Y/n]"]


class Shell:
    """The shell's parts the :record and :drop handlers use."""

    def __init__(self, supervisor: KernelSupervisor) -> None:
        self._supervisor, self.said = supervisor, []

    def supervisor(self) -> KernelSupervisor:
        return self._supervisor

    def say(self, text: str) -> None:
        self.said.append(text)


def test_drop_checks_every_number_before_dropping_any_then_drops_each():
    supervisor, _ = supervised(FakeKernel())
    for source in ("a", "b", "c"):
        supervisor.run(source)
    shell = Shell(supervisor)
    run_command(":drop 3 9", shell)
    assert shell.said == ["error: no input 9 in the record (:record lists them)"]
    assert numbers(supervisor.record) == [1, 2, 3]
    run_command(":drop 3 1 3", shell)
    assert shell.said[1:] == [
        "dropped input 1 (a): a restart will not replay it; this kernel keeps its effects",
        "dropped input 3 (c): a restart will not replay it; this kernel keeps its effects"]
    run_command(":record", shell)
    assert "    2  ok      b" in shell.said[-1] and "still holds" in shell.said[-1]


def test_the_input_that_kills_the_kernel_is_named_and_its_number_not_given_again():
    kernel = FakeKernel(kills={"boom"})
    supervisor, console = supervised(kernel, answers=[False])
    supervisor.run("a")
    assert supervisor.run("boom") is None
    assert console.out[0] == "\nkernel died (SIGSEGV) in input 2, which is not replayed\n"
    assert console.out[1] == "Restart the kernel and replay 1 input (1)? [Y/n]"
    supervisor.record.add("b", True)
    assert numbers(supervisor.record) == [1, 3]
