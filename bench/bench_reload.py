"""Benchmark: what live reloading costs per input, save-to-live latency, and reload time vs heap size.

Run:  python3 bench/bench_reload.py [--quick] [--engine | --save-to-live [N,N]]

Three measurements, each shell spawned in a pseudo-terminal as a person
would use it (the interpreters are invoked directly, not through pyenv shims):

1. The round trip of a trivial input (``1+1`` -> ``2`` -> next prompt) after
   ``import load_all`` has imported 0, 500 and 2,000 generated user modules,
   in ``python3 -q``, ``freshrepl -q``, a bare prompt_toolkit loop (the
   floor for any prompt_toolkit shell) and, where installed, IPython with
   ``%autoreload 2``.  Medians; freshrepl's overhead over python3 and over
   the bare loop, the growth per imported module, and (one sample) the
   ``import load_all`` input itself and the input after it.
2. Save-to-live latency in freshrepl (``--save-to-live``: only this, with 0
   and 2,000 other user modules imported first): a module imported in the shell is
   rewritten while the shell idles at the prompt, timed until the
   ``reloaded NAME`` notice appears; and ``mod.f()`` is typed, the file is
   rewritten, and Enter pressed at once, timed from Enter to the result, which
   must be the new value (a stale value is counted and reported).
3. One reload of an edit (a function and a method of a class) with no junk,
   with 1M ``object()`` and with 1M instances of that class on the heap
   (an old instance must then answer with the new method): freshrepl's
   ``:reload`` (Enter -> notice and next prompt, with ``:auto off`` so the
   idle reload does not run first) and its idle reload (save -> notice), and
   IPython's ``%autoreload 2`` (the first input after the edit vs the same
   input with nothing to reload).

4. In the engine itself (in-process, no terminal): one reload of a plain
   function edit, of a decorator's wrapper body (the wrappers it made earlier
   are found with ``gc.get_referrers`` and patched) and of a closure
   factory's inner body, with nothing, 1M small lists (objects the collector tracks) and 1M live closures
   of that factory on the heap; ``importlib.reload`` of the same module in
   the same process is the python3 reference.  Budgets: a plain edit under
   20 ms whatever the heap, a closure or decorator edit under 50 ms with 1M
   objects.

Figures are absolute, and relative to ``python3 -q`` from the same run where
python3 has an equivalent.  Bytecode writing is off in every shell
(``PYTHONDONTWRITEBYTECODE=1``) so a same-size edit within one second cannot
bring back a stale ``.pyc`` for IPython's ``importlib.reload``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_startup import echo_of  # noqa: E402

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
ESC = rb"(?:\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r)*"  # \r, ESC = and ESC >: python3.13's own REPL
PROMPT = re.compile(rb">>>|In \[\d+\]:")
PROMPT_AFTER = rb".*?(?:>>>|In \[\d+\]:)"
RELOADED = {name: re.compile(rb"reloaded " + name.encode() + PROMPT_AFTER, re.S) for name in ("livemod", "heavy")}
KERNEL_DIED = re.compile(rb"kernel died \([^)]*\)")


def result_and_prompt(value: str | bytes = rb"\d+") -> re.Pattern[bytes]:
    """``value`` on a line of its own (IPython: after ``Out[n]:``), then the next prompt."""
    if isinstance(value, str):
        value = re.escape(value.encode())
    return re.compile(
        rb"\n" + ESC + rb"(?:Out\[\d+\]: )?" + ESC + rb"(" + value + rb")" + ESC + rb"\r?\n" + PROMPT_AFTER,
        re.S,
    )


def commands() -> dict[str, list[str]]:
    python = os.path.realpath(sys.executable)
    here = os.path.dirname(sys.executable)
    found = {"python3": [python, "-q"]}
    script = os.path.join(here, "freshrepl")
    found["freshrepl"] = [script, "-q"] if os.path.exists(script) else [python, "-m", "freshrepl", "-q"]
    path = shutil.which("ipython", path=here + os.pathsep + os.environ.get("PATH", ""))
    if path:
        found["ipython"] = [path, "--no-banner", "--colors=NoColor"]
    return found


# The floor for any prompt_toolkit shell: read a line, evaluate it in-process, print.
PTK_LOOP = """\
from prompt_toolkit import PromptSession
session = PromptSession()
namespace = {"__name__": "__main__"}
while True:
    try:
        line = session.prompt(">>> ")
    except EOFError:
        break
    exec(compile(line, "<input>", "single"), namespace)
"""


class Shell:
    """One interactive shell in a pty, driven by what it prints."""

    def __init__(self, name: str, command: list[str], home: str, cwd: str) -> None:
        env = dict(os.environ, HOME=home, XDG_STATE_HOME=os.path.join(home, "state"),
                   PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", PYTHONDONTWRITEBYTECODE="1")
        for name_ in ("PYTHONSTARTUP", "PYTHONPATH", "NO_COLOR"):
            env.pop(name_, None)
        if name == "freshrepl":
            env["PYTHONPATH"] = SRC  # this checkout's freshrepl, not one installed elsewhere
        self.name = name
        self.child = pexpect.spawn(command[0], command[1:], env=env, cwd=cwd,
                                   dimensions=(40, 160), timeout=60)
        self.child.delaybeforesend = None
        self.child.expect(PROMPT)
        self.serial = 0
        if name == "ipython":
            self.run("%load_ext autoreload")
            self.run("%autoreload 2")
        self.sync()

    def expect(self, pattern: re.Pattern[bytes]) -> None:
        """Wait for ``pattern``; stop the benchmark if the kernel died instead."""
        if self.child.expect([pattern, KERNEL_DIED]) == 1:
            raise SystemExit(f"{self.name}: {self.child.match.group(0).decode()} "
                             "(was it killed from outside the benchmark?)")

    def sync(self) -> None:
        """Wait until everything typed so far has run: evaluate a fresh number and see it."""
        self.serial += 1
        value = 1_000_003 * self.serial
        self.child.send(f"{value} + 0\r")
        self.expect(result_and_prompt(str(value)))

    def run(self, line: str) -> None:
        self.child.send(line + "\r")
        self.sync()

    def ask(self, line: str, value: str | bytes = rb"\d+") -> tuple[float, bytes]:
        """Enter ``line``; seconds from Enter to its value and the next prompt, and the value."""
        begin = time.perf_counter()
        self.child.send(line + "\r")
        self.expect(result_and_prompt(value))
        return time.perf_counter() - begin, self.child.match.group(1)

    def type(self, line: str) -> None:
        """Type ``line`` without Enter and wait for its echo."""
        self.child.send(line)
        self.expect(echo_of(line))

    def enter(self, value: str | bytes = rb"\d+") -> tuple[float, bytes]:
        """Press Enter on what was typed; seconds until its value and the next prompt, and the value."""
        begin = time.perf_counter()
        self.child.send("\r")
        self.expect(result_and_prompt(value))
        return time.perf_counter() - begin, self.child.match.group(1)

    def close(self) -> None:
        self.child.sendeof()
        try:
            if self.child.expect([pexpect.EOF, rb"want to exit"], timeout=10) == 1:
                self.child.send("y\r")
                self.child.expect(pexpect.EOF, timeout=10)
        except pexpect.TIMEOUT:
            pass
        self.child.close(force=True)


def write_source(path: str, text: str) -> None:
    """Write ``text`` in place and make sure the modification time moves forward."""
    before = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    with open(path, "w") as f:
        f.write(text)
    after = os.stat(path).st_mtime_ns
    if after <= before:  # coarse file-system clock: IPython compares mtimes
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def replace_source(path: str, text: str) -> None:
    """Save the way many editors do: write a new file and rename it over the old one."""
    before = os.stat(path).st_mtime_ns
    temporary = path + ".tmp~"
    with open(temporary, "w") as f:
        f.write(text)
    if os.stat(temporary).st_mtime_ns <= before:
        os.utime(temporary, ns=(before + 1_000_000, before + 1_000_000))
    os.replace(temporary, path)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# ---------------------------------------------------------------- 1. per-input cost

MODULE = '''"""Generated module {i}."""

VALUE = {i}


def f{i}(x):
    return x + VALUE


class C{i}:
    def __init__(self, x):
        self.x = x

    def m(self):
        return f{i}(self.x)
'''


def make_project(root: str, count: int, name: str = "") -> str:
    project = os.path.join(root, name or f"project{count}")
    os.makedirs(project)
    for i in range(count):
        with open(os.path.join(project, f"m{i:04d}.py"), "w") as f:
            f.write(MODULE.format(i=i))
    with open(os.path.join(project, "load_all.py"), "w") as f:
        f.write("".join(f"import m{i:04d}\n" for i in range(count)))
        f.write(f"COUNT = {count}\n")
    return project


def input_cost(root: str, home: str, sizes: list[int], trips: int) -> None:
    found = commands()
    shells = {"python3": found.pop("python3"),
              "ptk loop": [os.path.realpath(sys.executable), "-c", PTK_LOOP], **found}
    table: dict[int, dict[str, float]] = {}
    loads: dict[int, dict[str, tuple[float, float]]] = {}
    for count in sizes:
        project = make_project(root, count)
        table[count] = {}
        loads[count] = {}
        for name, command in shells.items():
            shell = Shell(name, command, home, project)
            shell.sync()
            imported = shell.ask("import load_all; load_all.COUNT", str(count))[0]
            # freshrepl compares newly imported modules with their files once, after the input.
            first = shell.ask("1+1", "2")[0]
            loads[count][name] = (imported, first)
            samples = []
            for _ in range(trips):
                time.sleep(0.01)
                samples.append(shell.ask("1+1", "2")[0])
            shell.close()
            table[count][name] = statistics.median(samples)
    names = list(shells)
    print(f"1. Round trip of 1+1 after importing N user modules (median of {trips})")
    print("   ptk loop = a bare prompt_toolkit read-eval-print loop, no kernel, no reloading")
    header = f"{'N modules':>10}" + "".join(f"{n:>12}" for n in names)
    header += f"{'fresh - py3':>14}{'fresh - ptk':>14}{'fresh / py3':>13}"
    if "ipython" in names:
        header += f"{'ipy / py3':>11}"
    print(header)
    for count, row in table.items():
        line = f"{count:>10}" + "".join(f"{ms(row[n]):>12}" for n in names)
        line += f"{ms(row['freshrepl'] - row['python3']):>14}{ms(row['freshrepl'] - row['ptk loop']):>14}"
        line += f"{row['freshrepl'] / row['python3']:>12.2f}x"
        if "ipython" in names:
            line += f"{row['ipython'] / row['python3']:>10.2f}x"
        print(line)
    if len(sizes) > 1:
        low, high = sizes[0], sizes[-1]
        for name in names:
            slope = (table[high][name] - table[low][name]) / (high - low) * 1e6
            print(f"   {name}: {slope:+.2f} µs per imported module ({low} -> {high})")
    print("   Enter on 'import load_all; load_all.COUNT' -> result (first 1+1 after it), one sample:")
    for count, row in loads.items():
        print(f"{count:>10}" + "".join(f"{ms(row[n][0]):>12}" for n in names))
        print(f"{'':>10}" + "".join(f"{'(' + ms(row[n][1]) + ')':>12}" for n in names))
    print()


# ---------------------------------------------------------------- 2. save -> live

LIVE = "def f():\n    return {value}\n"


def idle_save_to_notice(
    shell: Shell, name: str, save: Callable[[str, str], None], path: str, text: str
) -> float:
    """Save ``text`` to the module while the shell idles; seconds until its notice."""
    time.sleep(0.15)  # the shell is back at its prompt and idle
    save(path, text)
    begin = time.perf_counter()
    shell.expect(RELOADED[name])
    return time.perf_counter() - begin


def save_to_live(root: str, home: str, repeats: int, modules: int = 0) -> None:
    """Save -> live for ``livemod``, after ``import load_all`` imported ``modules`` others."""
    project = make_project(root, modules, name=f"live{modules}")
    path = os.path.join(project, "livemod.py")
    value = 100_000
    write_source(path, LIVE.format(value=value))
    shell = Shell("freshrepl", commands()["freshrepl"], home, project)
    if modules:
        shell.ask("import load_all; load_all.COUNT", str(modules))
        shell.ask("1+1", "2")  # the modules just imported are compared with their files once
        time.sleep(1.0)  # and watched: the watcher has taken in their directories
    shell.run("import livemod")
    shell.ask("livemod.f()", str(value))
    rows: list[tuple[str, list[float], int]] = []
    for label, save in (("in place", write_source), ("rename", replace_source)):
        idle = []
        for _ in range(repeats):
            value += 1
            idle.append(idle_save_to_notice(shell, "livemod", save, path, LIVE.format(value=value)))
            shell.ask("livemod.f()", str(value))
        rows.append((f"idle at prompt, save -> notice ({label})", idle, 0))
        enter, stale = [], 0
        for _ in range(repeats):
            time.sleep(0.15)
            value += 1
            # Typed first (a person types the call, saves in the editor, presses Enter):
            # the time from Enter on is the reload and the run, not the typing.
            shell.type("livemod.f()")
            time.sleep(0.15)
            save(path, LIVE.format(value=value))
            seconds, seen = shell.enter()
            enter.append(seconds)
            if seen != str(value).encode():
                stale += 1
                # The stale answer must not leak into the next iteration.
                shell.sync()
            time.sleep(0.15)
            shell.sync()  # a late idle notice, if any, lands here
        rows.append((f"save then Enter on mod.f(), Enter -> result ({label})", enter, stale))
    # python3 has no reload; its plain round trip of the same call is the yardstick.
    python = Shell("python3", commands()["python3"], home, project)
    python.run("import livemod")
    base = statistics.median(python.ask("livemod.f()", str(value))[0] for _ in range(repeats))
    python.close()
    shell.close()
    print(f"2. freshrepl save -> live with {modules} other user modules imported "
          f"({repeats} saves each; python3 round trip of mod.f(): {ms(base).strip()})")
    print(f"{'':<58}{'median':>12}{'max':>12}{'stale':>8}{'median / python3':>18}")
    for label, samples, stale in rows:
        median = statistics.median(samples)
        print(f"{label:<58}{ms(median):>12}{ms(max(samples)):>12}{stale:>5}/{len(samples):<2}{median / base:>17.1f}x")
    print()


# ---------------------------------------------------------------- 3. reload vs heap

HEAVY = '''"""The module edited under a big heap."""


class Point:
    def __init__(self, n):
        self.n = n

    def double(self):
        return self.n * 2

    def tag(self):
        return {value}


def f():
    return {value}
'''

JUNK = {
    "no junk": None,
    "1M object()": "junk = [object() for _ in range(1_000_000)]",
    "1M heavy.Point": "junk = [heavy.Point(i) for i in range(1_000_000)]",
}


def check_heavy(shell: Shell, value: int, points: bool) -> None:
    """The new code is live: in the module, and (with 1M instances) in an old instance."""
    shell.ask("heavy.f()", str(value))
    if points:
        shell.ask("junk[-1].tag()", str(value))


def start_with_heap(
    name: str, command: list[str], home: str, project: str, value: int, junk: str
) -> Shell:
    """A shell with ``heavy`` (returning ``value``) imported and ``junk`` on its heap."""
    write_source(os.path.join(project, "heavy.py"), HEAVY.format(value=value))
    shell = Shell(name, command, home, project)
    shell.run("import heavy")
    if junk:
        shell.run(junk)
        shell.ask("len(junk)", "1000000")
    return shell


def reload_vs_heap(root: str, home: str, repeats: int) -> None:
    project = os.path.join(root, "heap")
    os.makedirs(project)
    path = os.path.join(project, "heavy.py")
    shells = commands()
    value = 500_000
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for junk_name, junk in JUNK.items():
        row: dict[str, tuple[float, float]] = {}
        points = "Point" in junk_name
        # freshrepl, :reload with automatic reloading off, then the idle reload.
        shell = start_with_heap("freshrepl", shells["freshrepl"], home, project, value, junk)
        shell.run(":auto off")
        samples = []
        for _ in range(repeats):
            time.sleep(0.1)
            value += 1
            write_source(path, HEAVY.format(value=value))
            time.sleep(0.05)  # the idle reload is off: nothing should happen here
            begin = time.perf_counter()
            shell.child.send(":reload\r")
            shell.expect(RELOADED["heavy"])
            samples.append(time.perf_counter() - begin)
            check_heavy(shell, value, points)
        row["freshrepl :reload"] = (statistics.median(samples), max(samples))
        shell.run(":auto on")
        samples = []
        for _ in range(repeats):
            value += 1
            text = HEAVY.format(value=value)
            samples.append(idle_save_to_notice(shell, "heavy", write_source, path, text))
            check_heavy(shell, value, points)
        row["freshrepl idle save -> notice"] = (statistics.median(samples), max(samples))
        if points:
            shell.ask("junk[-1].double()", "1999998")
        shell.close()
        if "ipython" in shells:
            shell = start_with_heap("ipython", shells["ipython"], home, project, value, junk)
            plain, edited = [], []
            for _ in range(repeats):
                time.sleep(0.05)
                plain.append(shell.ask("heavy.f()", str(value))[0])
                time.sleep(0.05)
                value += 1
                write_source(path, HEAVY.format(value=value))
                edited.append(shell.ask("heavy.f()", str(value))[0])
                check_heavy(shell, value, points)
            row["ipython input, nothing to reload"] = (statistics.median(plain), max(plain))
            row["ipython first input after the edit"] = (statistics.median(edited), max(edited))
            shell.close()
        results[junk_name] = row
    print(f"3. One reload of an edit to heavy.f and heavy.Point.tag vs heap size (median / max of {repeats})")
    columns = list(JUNK)
    print(f"{'':<38}" + "".join(f"{c:>26}" for c in columns))
    for key in results["no junk"]:
        cells = []
        for c in columns:
            median, most = results[c][key]
            cells.append(f"{median * 1000:9.2f} / {most * 1000:7.2f} ms")
        print(f"{key:<38}" + "".join(f"{cell:>26}" for cell in cells))
    if "ipython" in shells:
        cells = []
        for c in columns:
            cost = results[c]["ipython first input after the edit"][0] - results[c]["ipython input, nothing to reload"][0]
            cells.append(f"{cost * 1000:9.2f} ms")
        print(f"{'ipython autoreload cost (difference)':<38}" + "".join(f"{cell:>26}" for cell in cells))
    print()


# ---------------------------------------------------------------- 4. engine: closures vs heap

CLOSURES = '''"""Decorators and closure factories edited under a big heap."""
import functools


def loud(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return (fn(*args), {wrapper})
    return wrapper


@loud
def f():
    return 1


def make(n):
    def inner():
        return n + {inner}
    return inner


def plain():
    return {plain}
'''

ENGINE_HEAPS = {
    "no junk": "",
    "1M lists": "[[i] for i in range(1_000_000)]",
    "1M closures of make": "[closmod.make(i) for i in range(1_000_000)]",
}
ENGINE_EDITS = ("plain", "wrapper", "inner")


def _engine_timings(root: str, heap: str, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` reload times for each edit, in a fresh process (clean heap)."""
    import json
    import subprocess

    code = f"""
import gc, importlib, json, sys, time, types
sys.path[:0] = [{os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")!r}, {root!r}]
from freshrepl.reload import Reloader
template = {CLOSURES!r}
path = {os.path.join(root, "closmod.py")!r}
values = dict(wrapper=0, inner=0, plain=0)
def save():
    with open(path, "w") as handle:
        handle.write(template.format(**values))
    importlib.invalidate_caches()
save()
main = types.ModuleType("__main__")
reloader = Reloader(main)
reloader.install()
import closmod
main.closmod = closmod
junk = eval({heap!r} or "[]", {{"closmod": closmod}})
kept = [closmod.f, closmod.make(1)]
gc.collect()
out = {{}}
for edit in {ENGINE_EDITS!r}:
    best = float("inf")
    for _ in range({repeats}):
        values[edit] += 1
        save()
        begin = time.perf_counter()
        results = reloader.reload([path])
        best = min(best, time.perf_counter() - begin)
        assert [r.status for r in results] == ["reloaded"], results
    out[edit] = best
    assert kept[0]() == (1, values["wrapper"]) and kept[1]() == 1 + values["inner"]
    if junk and callable(junk[-1]):
        assert junk[-1]() == len(junk) - 1 + values["inner"]
reloader.uninstall()
best = float("inf")
for _ in range({repeats}):
    values["plain"] += 1
    save()
    begin = time.perf_counter()
    importlib.reload(closmod)
    best = min(best, time.perf_counter() - begin)
out["importlib"] = best
print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"engine bench failed ({heap or 'no junk'}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def engine_reload_vs_heap(root: str, repeats: int) -> None:
    project = os.path.join(root, "engine")
    os.makedirs(project)
    table = {name: _engine_timings(project, heap, repeats) for name, heap in ENGINE_HEAPS.items()}
    print(f"4. The engine's reload of one edit vs heap size (in-process, best of {repeats})")
    print(f"{'':<34}" + "".join(f"{c:>22}" for c in ENGINE_HEAPS))
    labels = {
        "plain": "plain function edit",
        "wrapper": "decorator wrapper edit",
        "inner": "closure factory edit",
        "importlib": "python3 importlib.reload",
    }
    for key, label in labels.items():
        cells = [f"{table[c][key] * 1000:8.2f} ms" for c in ENGINE_HEAPS]
        print(f"{label:<34}" + "".join(f"{cell:>22}" for cell in cells))
    for key in ENGINE_EDITS:
        ratios = [f"{table[c][key] / table[c]['importlib']:8.2f}x" for c in ENGINE_HEAPS]
        print(f"{labels[key] + ' / importlib':<34}" + "".join(f"{r:>22}" for r in ratios))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer modules and repeats")
    parser.add_argument("--engine", action="store_true", help="only 4., the in-process engine")
    parser.add_argument("--save-to-live", metavar="N,N", const="0,2000", nargs="?",
                        help="only 2., once per number of other user modules imported (default 0,2000)")
    args = parser.parse_args()
    quick = args.quick
    if args.engine:
        with tempfile.TemporaryDirectory() as root:
            engine_reload_vs_heap(root, repeats=3 if quick else 7)
        return
    if args.save_to_live:
        with tempfile.TemporaryDirectory() as root:
            home = os.path.join(root, "home")
            os.makedirs(home)
            for count in (int(n) for n in args.save_to_live.split(",")):
                save_to_live(root, home, repeats=6 if quick else 20, modules=count)
        return
    sizes = [0, 500] if quick else [0, 500, 2000]
    with tempfile.TemporaryDirectory() as root:
        home = os.path.join(root, "home")
        os.makedirs(home)
        input_cost(root, home, sizes, trips=15 if quick else 40)
        save_to_live(root, home, repeats=6 if quick else 20)
        reload_vs_heap(root, home, repeats=3 if quick else 7)
        engine_reload_vs_heap(root, repeats=3 if quick else 7)


if __name__ == "__main__":
    main()
