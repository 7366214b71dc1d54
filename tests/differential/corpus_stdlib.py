"""Generated cases: one constant changed in one function of a pure-Python stdlib module.

The modules (textwrap, colorsys, fractions, statistics, difflib) are copied
from the running interpreter's standard library into the case directory
under a new name, so they count as the user's own code.  For every function
and method (nested ones included in their enclosing function), every
single-line int, float or str constant in its body or defaults (docstrings,
f-string parts and annotations left out) gives one edit: ``n`` becomes
``n + 1``, ``x`` becomes ``x * 1.5 + 0.25``, ``"s"`` becomes ``"s~"``.

The oracle is twofold, both through references taken before the edit:

- the code print (``__dcheck__.code``) of the edited function, reached
  through ``from mod import f`` or ``Cls.__dict__["meth"]`` kept in
  ``__main__``, must equal the print of the same function in a fresh
  interpreter that imported the edited file: same bytecode, constants,
  names, defaults and plain closure values, recursively for nested code.
  This says the old reference now runs exactly the freshly compiled code;
- a fixed workload per module (calls through functions, classes and
  instances made before the edit) must answer as the fresh interpreter does,
  which also catches wrong globals, defaults or lost edits on the way.

Functions the module replaces later (``from _statistics import ...``) are
left out: the edit cannot reach what the module exports.
"""

from __future__ import annotations

import ast
import importlib
import os
import sysconfig
import types
from dataclasses import dataclass

from .case import Case


@dataclass(frozen=True)
class Workload:
    setup: str
    probes: tuple[str, ...]


TEXTWRAP = Workload(
    """
    from mod import fill, wrap, dedent, indent, shorten
    TEXT = "The quick brown fox jumps over the lazy dog. " * 4 + "Supercalifragilistic words\\tand tabs."
    Wrapper = mod.TextWrapper
    """,
    (
        "fill(TEXT, width=30)",
        "wrap(TEXT, 18, break_long_words=False, expand_tabs=False)",
        'Wrapper(width=24, max_lines=3, placeholder=" [...]").fill(TEXT)',
        'Wrapper(width=10, initial_indent="* ", subsequent_indent="  ", break_on_hyphens=False)'
        '.wrap("well-known hyphen-ated words " * 2)',
        'Wrapper(width=12, drop_whitespace=False, replace_whitespace=False, tabsize=4)'
        '.wrap("a\\tb  c\\n d " * 3)',
        "Wrapper(width=7, max_lines=2, placeholder='..').wrap('abcdefghijklmnop qrs tuv')",
        "shorten(TEXT, 40)",
        'dedent("    a\\n      b\\n\\n    c")',
        'dedent("\\ta\\n  \\tb")',
        'indent("a\\nb\\n\\nc", "> ")',
        'indent("a\\nb", "+ ", lambda line: True)',
    ),
)

COLORSYS = Workload(
    """
    from mod import rgb_to_hls, hls_to_rgb, rgb_to_hsv, hsv_to_rgb, rgb_to_yiq, yiq_to_rgb
    COLORS = [(0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.2, 0.4, 0.6), (0.9, 0.1, 0.3), (0.5, 0.5, 0.1), (0.1, 0.8, 0.8), (0.7, 0.2, 0.9)]
    """,
    (
        "[rgb_to_hls(*c) for c in COLORS]",
        "[hls_to_rgb(*c) for c in COLORS]",
        "[hls_to_rgb(h / 6, 0.3, 0.7) for h in range(7)]",
        "[rgb_to_hsv(*c) for c in COLORS]",
        "[hsv_to_rgb(*c) for c in COLORS]",
        "[hsv_to_rgb(h / 6, 0.5, 0.5) for h in range(7)]",
        "[rgb_to_yiq(*c) for c in COLORS]",
        "[yiq_to_rgb(*c) for c in COLORS]",
        "[yiq_to_rgb(1.0, 0.9, -0.9), yiq_to_rgb(0.0, -0.9, 0.9)]",
    ),
)

FRACTIONS = Workload(
    """
    import decimal, math
    F = mod.Fraction
    def pair():
        return F(3, 7), F("-2.25")
    """,
    (
        "[(a + b, a - b, a * b, a / b) for a, b in [pair()]]",
        "[(a ** 2, b ** -3, F(4, 9) ** F(1, 2), 2 ** F(1, 2), F(-8, 27) ** 3) for a, b in [pair()]]",
        "[(a // b, a % b, divmod(a, b), F(10) % 3, 7 % F(3, 2)) for a, b in [pair()]]",
        'F("3.1415926").limit_denominator(100)',
        "(F(1.1), F.from_float(0.3), F.from_decimal(decimal.Decimal('1.25')))",
        "[(str(a), repr(b), float(a), int(b), round(a, 2), round(F(7, 2)), round(F(5, 2))) for a, b in [pair()]]",
        "[(math.floor(b), math.ceil(b), math.trunc(b)) for a, b in [pair()]]",
        "[(a < b, a == F(6, 14), a == 3 / 7, a > 0.4, b <= -2.25, a == complex(3 / 7)) for a, b in [pair()]]",
        "[(hash(a) == hash(F(6, 14)), hash(F(1, 2)), hash(F(5)), hash(F(-1))) for a, b in [pair()]]",
        '[[format(a, spec) for spec in (".5f", "e", "%", ">10", "", ".3g")] for a, b in [pair()]]',
        '(F(" 10/4 "), F("1e-3"), F("-.5"), F(2.5e10))',
        "[((-a).as_integer_ratio(), abs(b), +a, -b) for a, b in [pair()]]",
        "[(1.5 + a, a + 1j, a * 2.0, 3 - a) for a, b in [pair()]]",
        "F(3, 7).limit_denominator(1)",
        'F("not a number")',
    ),
)

STATISTICS = Workload(
    """
    import decimal
    from fractions import Fraction
    DATA = [2.5, 3.25, 5.5, 11.25, 11.75, 1.0, 7.5, 3.25]
    INTS = [1, 2, 2, 3, 3, 3, 4, 7, 9]
    ND = mod.NormalDist
    """,
    (
        "(mod.mean(DATA), mod.fmean(DATA), mod.mean([Fraction(1, 3), Fraction(2, 5)]))",
        "(mod.median(DATA), mod.median_low(INTS), mod.median_high(INTS))",
        "(mod.median_grouped(INTS), mod.median_grouped(INTS, 2))",
        '(mod.mode(INTS), mod.multimode("aabbbcc"))',
        "(mod.geometric_mean(DATA), mod.harmonic_mean(DATA))",
        "(mod.pstdev(DATA), mod.stdev(DATA), mod.pvariance(INTS), mod.variance(INTS))",
        '(mod.quantiles(DATA, n=4), mod.quantiles(INTS, n=5, method="inclusive"))',
        "(mod.correlation(DATA, DATA[::-1]), mod.covariance(DATA, INTS[:8]))",
        "mod.linear_regression(INTS[:8], DATA)",
        "[(nd.pdf(11), nd.cdf(9), nd.inv_cdf(0.2), nd.inv_cdf(0.999), nd.inv_cdf(1e-10))"
        " for nd in [ND(10, 2)]]",
        "[(nd.overlap(ND(11, 3)), nd.quantiles(), nd.zscore(13)) for nd in [ND(10, 2)]]",
        "[(nd + 2, nd * 3, nd + ND(1, 1), nd.samples(3, seed=1)) for nd in [ND(10, 2)]]",
        "ND.from_samples(DATA)",
        "mod.variance([Fraction(1, 2), Fraction(3, 4), Fraction(5, 4)])",
        'mod.mean([decimal.Decimal("1.5"), 2])',
        "mod.harmonic_mean([1, 2, 4], weights=[1, 2, 1])",
        "mod.fmean(DATA, weights=range(8))",
        "mod.mean([])",
        "mod.stdev([1])",
    ),
)

DIFFLIB = Workload(
    """
    A = "one two three four five six seven eight".split()
    B = "one 2 three four 5 six seven eight nine".split()
    LA = ["apple\\n", "banana\\n", "cherry\\n", "date\\n", "elder\\n"]
    LB = ["apple\\n", "blueberry\\n", "cherry\\n", "dates\\n", "elder\\n", "fig\\n"]
    SM = mod.SequenceMatcher
    def html():
        mod.HtmlDiff._default_prefix = 0
        return mod.HtmlDiff(wrapcolumn=20).make_table(LA, LB, context=True, numlines=1)
    """,
    (
        'SM(None, "abcdefgh", "abxdefyh").ratio()',
        "SM(None, A, B).get_opcodes()",
        'SM(lambda x: x == " ", "private Thread currentThread;", '
        '"private volatile Thread currentThread;").get_matching_blocks()',
        '(SM(None, "abcd" * 60, "abed" * 60).quick_ratio(), '
        'SM(None, "abcd" * 60, "abed" * 60).real_quick_ratio())',
        'SM(None, "x" * 300 + "abc", "abc" + "x" * 300).find_longest_match(0, 303, 0, 303)',
        "list(SM(None, LA, LB).get_grouped_opcodes(1))",
        'mod.get_close_matches("appel", ["ape", "apple", "peach", "puppy"])',
        'list(mod.unified_diff(LA, LB, "a", "b", n=1))',
        'list(mod.context_diff(LA, LB, "a", "b"))',
        "list(mod.ndiff(LA, LB))",
        "list(mod.restore(mod.ndiff(LA, LB), 2))",
        'list(mod.Differ().compare(["abcdefg\\n", "same\\n"], ["abcxefg\\n", "same\\n"]))',
        "html()",
        '(mod.IS_LINE_JUNK(" # \\n"), mod.IS_CHARACTER_JUNK("\\t"))',
        'list(mod.diff_bytes(mod.unified_diff, [b"a\\n"], [b"b\\n"]))',
    ),
)

WORKLOADS = {
    "textwrap": TEXTWRAP,
    "colorsys": COLORSYS,
    "fractions": FRACTIONS,
    "statistics": STATISTICS,
    "difflib": DIFFLIB,
}
PRELOAD = ["fractions", "decimal", "numbers", "math", "re", "random", "operator", "functools",
           "collections", "itertools", "bisect", "heapq", "keyword", "difflib"]


def stdlib_source(name: str) -> str:
    path = os.path.join(sysconfig.get_paths()["stdlib"], f"{name}.py")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@dataclass(frozen=True)
class Site:
    """One constant inside one function: where it is and what the function is called."""

    path: tuple[str, ...]  # ("TextWrapper", "_wrap_chunks") or ("fill",)
    node: ast.Constant


def edit_sites(tree: ast.Module) -> list[Site]:
    """Every editable constant of every module-level function and (nested) class method."""
    sites: list[Site] = []

    def visit_body(body: list[ast.stmt], prefix: tuple[str, ...]) -> None:
        names = [s.name for s in body if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                visit_body(stmt.body, (*prefix, stmt.name))
            elif isinstance(stmt, ast.FunctionDef) and names.count(stmt.name) == 1:
                sites.extend(Site((*prefix, stmt.name), c) for c in _constants(stmt))

    visit_body(tree.body, ())
    return sites


def _constants(fn: ast.FunctionDef) -> list[ast.Constant]:
    skipped: set[int] = set()
    for node in ast.walk(fn):
        parts: list[ast.AST | None] = []
        if isinstance(node, ast.arg):
            parts = [node.annotation]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts = [node.returns]
        elif isinstance(node, ast.JoinedStr):
            parts = [node]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            parts = [node.value]  # docstrings and other bare strings do nothing
        for part in parts:
            if part is not None:
                skipped.update(id(n) for n in ast.walk(part))
    roots: list[ast.AST] = [*fn.args.defaults, *(d for d in fn.args.kw_defaults if d), *fn.body]
    found = []
    for root in roots:
        for node in ast.walk(root):
            if (isinstance(node, ast.Constant) and id(node) not in skipped
                    and type(node.value) in (int, float, str)
                    and node.lineno == node.end_lineno):
                found.append(node)
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _new_value(value: object) -> int | float | str:
    assert isinstance(value, (int, float, str))  # edit_sites keeps only these
    if isinstance(value, str):
        return value + "~"
    if isinstance(value, float):
        return value * 1.5 + 0.25
    return value + 1


def _edited(source: str, node: ast.Constant) -> str:
    """``source`` with the constant at ``node`` replaced (columns are UTF-8 byte offsets)."""
    lines = source.splitlines(keepends=True)
    line = lines[node.lineno - 1].encode("utf-8")
    literal = repr(_new_value(node.value)).encode("utf-8")
    lines[node.lineno - 1] = (line[: node.col_offset] + literal
                              + line[node.end_col_offset:]).decode("utf-8")
    return "".join(lines)


def _exported(module: types.ModuleType, path: tuple[str, ...]) -> bool:
    """True when the module really exports the Python function at ``path`` (not a C one)."""
    obj: object = module
    for part in path[:-1]:
        obj = getattr(obj, part, None)
        if not isinstance(obj, type):
            return False
    member = vars(obj).get(path[-1]) if isinstance(obj, type) else getattr(obj, path[-1], None)
    member = getattr(member, "__func__", member)
    if isinstance(member, property):
        member = member.fget or member.fset
    code = getattr(member, "__code__", None)
    return code is not None and code.co_filename == module.__file__


def _reference(path: tuple[str, ...]) -> str:
    """The setup line that keeps a reference to the function before the edit."""
    if len(path) == 1:
        return f"from mod import {path[0]} as target"
    owner = ".".join(("mod", *path[:-1]))
    return f"target = {owner}.__dict__[{path[-1]!r}]"


def module_cases(name: str) -> list[Case]:
    workload = WORKLOADS[name]
    source = stdlib_source(name)
    real = importlib.import_module(name)
    setup_head = "import mod\n" + _dedent(workload.setup)
    found = []
    for site in edit_sites(ast.parse(source)):
        if not _exported(real, site.path):
            continue
        qualname = ".".join(site.path)
        found.append(Case(
            name=f"stdlib.{name}.{qualname}:{site.node.lineno}:{site.node.col_offset}",
            files={"mod.py": source},
            changes=[],
            setup=setup_head + _reference(site.path) + "\n",
            probes=["__dcheck__.code(target)", *workload.probes],
            note=f"line {site.node.lineno}: {site.node.value!r} -> {_new_value(site.node.value)!r}",
            edited={"mod.py": _edited(source, site.node)},
        ))
    return found


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip() + "\n"


def cases(every: int = 1) -> list[Case]:
    """All generated cases, or every ``every``-th of each module's (``--quick``)."""
    found: list[Case] = []
    for name in WORKLOADS:
        found += module_cases(name)[::every]
    return found
