"""Unit tests of what the shell says about stale values: the notice's part, :stale, :rerun's question."""

from __future__ import annotations

from freshrepl import protocol
from freshrepl.shell.notices import notice, stale_segment, stale_table
from freshrepl.shell.stale_values import rerun_question


def test_notice_names_stale_values_exactly_or_as_maybe():
    result = protocol.ReloadResult("stats", "/p/stats.py", protocol.RELOADED, detail="describe changed",
                                   stale=["summary", "report"])
    assert notice(result, color=False) == "↻ reloaded stats (describe changed) · stale: summary, report — :rerun"
    result.stale_exact = False
    assert notice(result, color=False).endswith("· may be stale: summary, report — :rerun")
    result.stale = []
    assert notice(result, color=False) == "↻ reloaded stats (describe changed)"


def test_a_long_list_is_cut_in_the_notice():
    names = [f"v{i}" for i in range(9)]
    assert stale_segment(names, True) == " · stale: v0, v1, v2, v3, v4, v5 and 3 more — :rerun"


def test_stale_table():
    reply = protocol.StaleReply(tracking=True, values=[
        protocol.StaleValue("summary", 3, "summary = describe(df)", ["describe"]),
        protocol.StaleValue("r", 4, "r = fmt(summary) …", ["describe", "LIMIT"]),
    ])
    assert stale_table(reply).splitlines() == [
        "stale values (:rerun runs their inputs again):",
        "  summary  input 3: summary = describe(df)  (describe changed)",
        "  r        input 4: r = fmt(summary) …  (describe, LIMIT changed)",
    ]
    assert stale_table(protocol.StaleReply(tracking=True)) == "nothing is stale"
    off = protocol.StaleReply(tracking=False, why_off="off (stale_values = false)")
    assert stale_table(off) == "stale values are not tracked: off (stale_values = false)"


def _inputs(*seconds: float) -> list[protocol.StaleInput]:
    return [protocol.StaleInput(n + 2, "x = 1", "x = 1", s) for n, s in enumerate(seconds)]


def test_rerun_asks_only_for_many_or_slow_inputs():
    assert rerun_question(_inputs(0.1, 0.1, 0.1)) is None
    assert rerun_question(_inputs(0.1, 0.1, 0.1, 0.1)) == (
        "Run 4 inputs again (inputs 2, 3, 4, 5; they took 0.4 s before)? [Y/n]")
    assert rerun_question(_inputs(2.5)) == "Run 1 input again (input 2; it took 2.5 s before)? [Y/n]"
    assert "they took 2 min 5 s before" in (rerun_question(_inputs(100, 25)) or "")
    many = rerun_question(_inputs(*[0.0] * 10)) or ""
    assert "(inputs 2, 3, 4, 5, 6, 7, 8, 9 …;" in many


def test_stale_messages_travel():
    reply = protocol.StaleReply(tracking=True, exact=False, values=[
        protocol.StaleValue("summary", 3, "summary = describe(df)", ["describe"])],
        inputs=_inputs(1.5))
    assert protocol.decode(protocol.encode(reply)) == reply
    result = protocol.ReloadResult("m", "/m.py", protocol.RELOADED, stale=["a"], stale_exact=False)
    wire = protocol.encode(protocol.ReloadReply([result]))
    assert protocol.decode(wire) == protocol.ReloadReply([result])
