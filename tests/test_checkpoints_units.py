"""Checkpoint policy and bookkeeping without a terminal: when to take one, which one to resume."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import threading

import pytest

from freshrepl.digests import read_listing, unpack_files, write_listing
from freshrepl.kernel.checkpoints import first_user_import, fork_unsafe_reason
from freshrepl.reload.userfiles import is_user_file
from freshrepl.shell.checkpoint_store import CheckpointSettings, CheckpointStore, void_lines
from freshrepl.shell.session import ReplayOutcome


@pytest.fixture
def user_code(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text("X = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("mine", "pkg", "pkg.sub"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize("source, expected", [
    ("import mine", "mine"),
    ("x = 1\nif x:\n    from mine import X", "mine"),
    ("import json, mine as m", "mine"),
    ("import tabnanny", None),  # the standard library is not the user's
    ("import no_such_module_anywhere", None),
    ("import mine(", None),  # does not compile: nothing will be imported
    ("from . import mine", None),
])
def test_first_user_import(user_code, source, expected):
    assert first_user_import(source, is_user_file) == expected


def test_a_loaded_module_is_not_imported_first_but_its_new_submodule_is(user_code):
    import pkg  # noqa: F401

    assert first_user_import("import pkg", is_user_file) is None
    assert first_user_import("from pkg import sub", is_user_file) == "pkg.sub"
    assert first_user_import("import pkg.sub", is_user_file) == "pkg.sub"


def test_another_thread_makes_forking_unsafe():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="busy")
    worker.start()
    try:
        assert "a thread is running in the kernel (busy)" in (fork_unsafe_reason() or "")
    finally:
        stop.set()
        worker.join()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _store(tmp_path, keep: int = 4) -> tuple[CheckpointStore, list[socket.socket]]:
    """Checkpoints at 0 (nothing loaded), 2 and 5 (mod.py loaded); our ends of their sockets."""
    mod = tmp_path / "mod.py"
    mod.write_text("A = 1\n")
    # The checkpoints' pid is this test process: its own memory must not count.
    store = CheckpointStore(CheckpointSettings(keep=keep, memory_mb=10**9))
    peers = []
    loaded = read_listing(write_listing([(str(mod), "text", _digest("A = 1\n"))]))
    for position, files in ((0, ""), (2, loaded), (5, loaded)):
        ours, theirs = socket.socketpair()
        peers.append(theirs)
        store.add(os.getpid(), ours, files, position, f"at {position}")
    return store, peers


def test_the_budget_is_kept_at_settle_not_when_a_checkpoint_comes(tmp_path):
    """Taking a checkpoint in (after an input's reply) drops none and measures none: the
    next prompt must not wait for that; settle() (the prompt is up) keeps the budget."""
    store, peers = _store(tmp_path, keep=2)
    assert [c.position for c in store.items] == [0, 2, 5] and store._measured == 0.0
    store.enforce_budget()  # what taking messages in ends with: still nothing
    assert len(store.items) == 3
    store.settle()
    assert [c.position for c in store.items] == [0, 5] and store._measured > 0  # 5 has 2's code
    peers[1].settimeout(5)
    assert peers[1].recv(1) == b""  # the dropped one was hung up on: it exits
    measured = store._measured
    store.settle()  # nothing new since: nothing to do
    assert store._measured == measured


def test_the_newest_checkpoint_within_the_limit_is_chosen(tmp_path):
    store, _peers = _store(tmp_path)
    assert store.choose(limit=9).checkpoint.position == 5
    assert store.choose(limit=4).checkpoint.position == 2  # after a crash in input 5


def test_a_checkpoint_whose_module_changed_is_resumed_with_the_file_to_reload(tmp_path):
    store, _peers = _store(tmp_path)
    mod = str(tmp_path / "mod.py")
    (tmp_path / "mod.py").write_text("A = 2\n")
    choice = store.choose(limit=9)
    assert (choice.checkpoint.position, choice.reload, choice.passed_over) == (5, [mod], [])
    assert "(a resume reloads mod.py)" in store.render()
    # The reload there was unsafe: void for the file as it is; the next older is tried.
    choice.checkpoint.found("mod.py: A: refused", choice.reload)
    assert "(void: mod.py: A: refused)" in store.render()
    assert store.choose(limit=9).checkpoint.position == 0  # 2 loaded the same text as 5
    (tmp_path / "mod.py").write_text("A = 3\n")  # another change: tried again
    assert store.choose(limit=9).checkpoint.position == 5
    (tmp_path / "mod.py").write_text("A = 1\n")  # the text it loaded: nothing to reload
    choice = store.choose(limit=9)
    assert (choice.checkpoint.position, choice.reload) == (5, [])


def test_a_checkpoint_that_loaded_the_same_text_as_a_void_one_is_void_too(tmp_path):
    store, _peers = _store(tmp_path)
    (tmp_path / "mod.py").write_text("A = 2\n")
    newest = store.choose(limit=9)
    newest.checkpoint.found("mod.py: A: refused", newest.reload)
    choice = store.choose(limit=9)  # the one at 2 loaded the same mod.py: not tried
    assert choice.checkpoint.position == 0
    assert [(c.number, why) for c, why in choice.passed_over] == [(3, "mod.py: A: refused"),
                                                                  (2, "mod.py: A: refused")]
    # Said once for both: one line per reason, not one per checkpoint.
    assert void_lines(choice.passed_over) == [
        "checkpoints #3 (after input 5), #2 (after input 2) are void: mod.py: A: refused"]
    assert void_lines(choice.passed_over[:1]) == [
        "checkpoint #3 (after input 5) is void: mod.py: A: refused"]


def test_a_checkpoint_found_fine_is_not_tried_again_until_the_file_changes(tmp_path):
    store, _peers = _store(tmp_path)
    (tmp_path / "mod.py").write_text("A = 2\n")
    checkpoint = store.items[-1]
    changed = checkpoint.changed_files({})
    checkpoint.found(None, changed)
    assert checkpoint.tried(changed) and checkpoint.void_now(changed) is None
    (tmp_path / "mod.py").write_text("A = 3\n")
    assert not checkpoint.tried(checkpoint.changed_files({}))


def test_why_no_checkpoint_is_usable(tmp_path):
    store, _peers = _store(tmp_path)
    store.drop(store.items[0])
    store.note_skipped(6, "CUDA is initialised")
    (tmp_path / "mod.py").unlink()
    for checkpoint in store.items:
        checkpoint.found("mod.py was deleted", [str(tmp_path / "mod.py")])
    choice = store.choose(limit=9)
    assert choice.checkpoint is None
    assert choice.why_not == "no checkpoint after input 6: CUDA is initialised"
    assert len(choice.passed_over) == 2


def test_undo_checkpoints_are_kept_apart_from_the_policys_and_dropped_when_undone(tmp_path):
    store, _peers = _store(tmp_path, keep=4)
    store.settings.undo_keep = 2
    peers = []
    for position in (6, 7, 8):
        ours, theirs = socket.socketpair()
        peers.append(theirs)
        store.add(os.getpid(), ours, "", position, "while idle, for :undo", idle=True)
    store.settle()  # the next prompt is up
    assert [(c.position, c.idle) for c in store.items] == [
        (0, False), (2, False), (5, False), (7, True), (8, True)]
    assert peers[0].recv(1) == b""  # the oldest undo checkpoint went
    assert store.drop_from(7) == 2
    assert [c.position for c in store.items] == [0, 2, 5]
    # The policy's checkpoint of a state an idle one holds replaces it, and stays the policy's.
    ours, _theirs = socket.socketpair()
    store.add(os.getpid(), ours, store.items[-1].files, 5, "while idle, for :undo", idle=True)
    assert [(c.position, c.idle) for c in store.items] == [(0, False), (2, False), (5, False)]


def test_over_the_count_a_redundant_checkpoint_goes_first_and_the_checkpoint_hears_it(tmp_path):
    store, peers = _store(tmp_path, keep=2)
    store.settle()
    assert [c.position for c in store.items] == [0, 5]  # 2 had the same code as 5
    assert peers[1].recv(1) == b""  # its control socket was closed: it exits


def test_replay_summary_names_the_checkpoint():
    outcome = ReplayOutcome(5, 5, 0.08, resumed_at=12)
    assert outcome.summary() == "restarted from input 12 (replayed 5 inputs in 0.08 s)"
    outcome = ReplayOutcome(1, 3, 0.1, failed_at=14, failed_source="f()", resumed_at=12)
    assert outcome.summary() == ("restarted from input 12; replay stopped at input 14 (f()), "
                                 "which now fails; 1 of 3 inputs replayed")


@pytest.mark.parametrize("files", [
    [],
    [("/p/a.py", "bytes", "ab" * 32)],
    [("/p/with space.py", "text", "0" * 64), ("/p/ünï\n.py", "bytes", "f" * 64)],
])
def test_fingerprints_travel_in_a_listing_and_come_back_whole(files):
    assert list(unpack_files(read_listing(write_listing(files)))) == files
    assert list(unpack_files(read_listing(write_listing(iter(files * 2))))) == files * 2


def test_a_listing_of_thousands_of_files_travels_whole_by_descriptor():
    files = [(f"/project/{'deep/' * 8}module_{i:05d}.py", "bytes", f"{i:064x}") for i in range(20_000)]
    files.append(("/project/caf\udce9.py", "text", "e" * 64))  # a name python could not decode
    fd = write_listing(files)
    assert os.fstat(fd).st_size > 2_000_000  # far more than a notice packet can hold
    assert list(unpack_files(read_listing(fd))) == files
    with pytest.raises(OSError):
        os.fstat(fd)  # read_listing closed it


def test_a_restart_says_once_which_checkpoints_it_passed_over_for_one_reason(tmp_path, monkeypatch):
    """Each found void in its own trial (they loaded different texts), for the same reason:
    one line for both once the trials are over, not a line per trial."""
    from freshrepl.shell import resume

    mod = tmp_path / "mod.py"
    store = CheckpointStore(CheckpointSettings(keep=4, memory_mb=10**9))
    peers = []
    for position, text in ((0, None), (2, "A = 0\n"), (5, "A = 1\n")):
        files = "" if text is None else read_listing(write_listing([(str(mod), "text", _digest(text))]))
        ours, theirs = socket.socketpair()
        peers.append(theirs)
        store.add(os.getpid(), ours, files, position, f"at {position}")
    mod.write_text("A = 2\n")
    tried = []

    class Client:
        def resume(self, control):
            tried.append(control)

        def kill(self):
            pass

    monkeypatch.setattr(resume, "reload_in",
                        lambda client, paths, on_modules: "mod.py: A: refused" if paths else None)
    said: list[str] = []
    assert resume.resume_best(Client(), store, 9, said.append, lambda delta: None) == (0, [])
    assert len(tried) == 3  # two trials found void, then the one with nothing to reload
    assert said == ["checkpoints #3 (after input 5), #2 (after input 2) are void: mod.py: A: refused\n"]
