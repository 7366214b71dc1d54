"""The config file: its keys, the flat parser against tomllib, precedence, and one warning when bad."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from term import SRC

from freshrepl.cli import help_text, parse
from freshrepl.dataclass_lite import field_names
from freshrepl.settings import SETTINGS
from freshrepl.shell.config import apply_config, parse_flat, read_config
from freshrepl.shell.options import Options

PY310 = "/root/.pyenv/versions/3.10.13/bin/python3"


def options_from(argv: list[str], home: Path, text: str | None, **env: str) -> Options:
    environ = {"XDG_CONFIG_HOME": str(home / "config"), "PATH": os.environ["PATH"], **env}
    if text is not None:
        path = home / "config" / "freshrepl" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    options = parse(argv, stdin_is_tty=True, environ=environ)
    assert isinstance(options, Options)
    apply_config(options, environ)
    return options


# --- the flat parser means what tomllib means ------------------------------------------

FLAT_VALUES = st.one_of(
    st.booleans().map(lambda b: "true" if b else "false"),
    st.integers(-10**6, 10**6).map(str),
    st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters='"\\'), max_size=12)
    .map(lambda t: f'"{t}"'),
    st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="'"), max_size=12)
    .map(lambda t: f"'{t}'"),
)


@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True), FLAT_VALUES,
                       max_size=6),
       st.sampled_from(["", "  # note", "\t#"]))
@settings(max_examples=200, deadline=None)
def test_flat_files_read_as_tomllib_reads_them(pairs, comment):
    tomllib = pytest.importorskip("tomllib")
    text = "# freshrepl\n" + "".join(f"{k} = {v}{comment}\n" for k, v in pairs.items())
    assert parse_flat(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", [
    "[table]\nx = 1\n", "a.b = 1\n", "x = [1, 2]\n", "x = 1.5\n", 'x = "a\\tb"\n', "x = 1979-05-27\n",
    'x = """\nlong\n"""\n', "x = 0x10\n", "x = 1_000\n", "x = 01\n", "x = 1\nx = 2\n", "x =\n",
    "x = tru\n", '"quoted key" = 1\n', "x = 'open\n",
])
def test_anything_beyond_the_flat_form_goes_to_tomllib(text):
    assert parse_flat(text) is None


def test_read_config_reports_invalid_toml_with_its_place(tmp_path):
    pytest.importorskip("tomllib")
    path = tmp_path / "config.toml"
    path.write_text("vi_mode = true\nhistory_size = [1,,\n")
    values, problem = read_config(str(path))
    assert values == {} and problem is not None and problem.startswith("not valid TOML")
    assert "line 2" in problem and "key 'history_size'" in problem


def test_read_config_takes_valid_toml_beyond_the_flat_form(tmp_path):
    pytest.importorskip("tomllib")
    path = tmp_path / "config.toml"
    path.write_text('color_scheme = "mono\\u006bai"\nhistory_size = 1_000\n')
    assert read_config(str(path)) == ({"color_scheme": "monokai", "history_size": 1000}, None)


@pytest.mark.skipif(not os.path.exists(PY310), reason="needs Python 3.10")
def test_python_3_10_reads_the_flat_form_and_says_when_a_file_is_beyond_it(tmp_path):
    good, fancy = tmp_path / "good.toml", tmp_path / "fancy.toml"
    good.write_text("vi_mode = true  # yes\nhistory_size = 50\ncolor_scheme = 'monokai'\n")
    fancy.write_text("[freshrepl]\nvi_mode = true\n")
    script = ("import sys; from freshrepl.shell.config import read_config; "
              "print(read_config(sys.argv[1])); print(read_config(sys.argv[2]))")
    out = subprocess.run([PY310, "-c", script, str(good), str(fancy)], env={"PYTHONPATH": SRC},
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "({'vi_mode': True, 'history_size': 50, 'color_scheme': 'monokai'}, None)"
    assert "({}, \"line 1 is not in the flat 'key = value' form freshrepl reads on Python 3.10" in out[1]


# --- keys, precedence, warnings ---------------------------------------------------------

def test_every_setting_is_an_options_field_of_its_type_and_default():
    defaults, hints = Options(), typing.get_type_hints(Options)
    for name, setting in SETTINGS.items():
        assert name in field_names(Options)
        assert issubclass(setting.kind, hints[name]) or hints[name] is float, name
        if setting.default is not None:
            assert getattr(defaults, name) == setting.default, name


def test_help_is_made_from_the_settings_table():
    text = help_text()
    options_part = text.split("Shell options", 1)[1].split("Python-style forms:", 1)[0]
    listed = re.findall(r"^  (--[a-z-]+)", options_part, re.M)
    assert listed == [s.option_name for s in SETTINGS.values() if s.option] + ["--help", "--version"]
    for setting in SETTINGS.values():
        flat = " ".join(text.split())
        assert f"{setting.name} = {setting.metavar}" in text, setting.name
        assert " ".join(setting.help.split()) in flat, setting.name
        if setting.default is not None:
            assert re.search(rf"^  {setting.name} = \S+  \(default ", text, re.M), setting.name
        if setting.env:
            assert f"${setting.env}" in text
        if setting.option:
            assert re.search(rf"^  {re.escape(setting.option)}\s+{setting.name} = ", options_part, re.M)


def _another_python(tmp_path: Path) -> str:
    """An interpreter path other than the default (in a venv, ``python3`` is the default)."""
    link = tmp_path / "another-python3"
    link.symlink_to(os.path.realpath(sys.executable))
    return str(link)


def test_every_shell_option_sets_its_setting(tmp_path):
    for setting in SETTINGS.values():
        if not setting.option:
            continue
        if setting.option_takes_value:
            value = setting.choices[-1] if setting.choices else _another_python(tmp_path)
            options = options_from([setting.option_name, value], tmp_path, None)
            assert getattr(options, setting.name) != getattr(Options(), setting.name), setting.name
        else:
            options = options_from([setting.option_name], tmp_path, None)
            assert getattr(options, setting.name) is (not setting.default)
        assert options.given == {setting.name}


def test_a_settings_variable_beats_the_file_and_a_bad_one_keeps_it(tmp_path):
    options = options_from([], tmp_path, "checkpoints = 3\ncheckpoint_after_ms = 2000\n",
                           FRESHREPL_CHECKPOINTS="2", FRESHREPL_CHECKPOINT_AFTER="0.5")
    assert (options.checkpoints, options.checkpoint_after_ms, options.environment_warnings) == (
        2, 500.0, [])
    options = options_from([], tmp_path, "checkpoint_memory_mb = 64\n",
                           FRESHREPL_CHECKPOINT_MEMORY="lots", FRESHREPL_CHECKPOINTS="2.5")
    assert (options.checkpoint_memory_mb, options.checkpoints) == (64, 4)
    assert options.environment_warnings == [
        "FRESHREPL_CHECKPOINTS must be a number >= 0 (got '2.5'); using 4",
        "FRESHREPL_CHECKPOINT_MEMORY must be a number >= 0 (got 'lots'); using 64.0",
    ]
    assert options.config_warning is None


def test_file_values_apply_and_command_line_wins(tmp_path):
    text = ('vi_mode = true\nquiet = true\nwatch = false\non_unsafe = "keep"\ncolor = false\n'
            'color_scheme = "monokai"\nsuggestions = false\ncomplete_while_typing = false\n'
            'confirm_exit = true\nhistory_size = 7\n')
    options = options_from([], tmp_path, text)
    assert (options.vi_mode, options.quiet, options.watch, options.on_unsafe, options.color) == (
        True, True, False, "keep", False)
    assert (options.color_scheme, options.suggestions, options.complete_while_typing,
            options.confirm_exit, options.history_size) == ("monokai", False, False, True, 7)
    assert options.config_warning is None
    assert options_from(["--on-unsafe", "restart"], tmp_path, None).on_unsafe == "restart"


def test_environment_and_command_line_beat_the_file(tmp_path):
    assert not options_from([], tmp_path, "color = true\n", NO_COLOR="1").color
    assert not options_from(["--no-color"], tmp_path, "color = true\n").color
    assert options_from(["--vi"], tmp_path, "vi_mode = false\n").vi_mode


def test_python_key_is_resolved_like_the_option(tmp_path):
    options = options_from([], tmp_path, 'python = "python3"\n')
    assert os.path.isabs(options.python) and os.access(options.python, os.X_OK)
    options = options_from([], tmp_path, 'python = "/no/such/python"\n')
    assert options.python == sys.executable and "'python'" in options.config_warning


@pytest.mark.parametrize("text, key", [
    ("vi_mod = true\n", "unknown key 'vi_mod'"),
    ('vi_mode = "yes"\n', "'vi_mode' must be true or false"),
    ("history_size = true\n", "'history_size' must be an integer"),
    ("history_size = -1\n", "'history_size' must not be negative"),
    ('on_unsafe = "never"\n', "'on_unsafe' must be one of ask, restart, keep"),
    ('color_scheme = "no-such-style"\n', "'color_scheme': no pygments style named 'no-such-style'"),
])
def test_a_bad_key_gives_one_warning_and_keeps_its_default(tmp_path, text, key):
    options = options_from([], tmp_path, "quiet = true\n" + text)
    assert options.config_warning is not None and key in options.config_warning
    assert str(tmp_path / "config" / "freshrepl" / "config.toml") in options.config_warning
    assert options.quiet  # the good keys still apply
    defaults = Options()
    for name in SETTINGS:
        if name not in ("quiet", "python"):
            assert getattr(options, name) == getattr(defaults, name)


def test_no_file_no_warning(tmp_path):
    assert options_from([], tmp_path, None).config_warning is None


# --- end to end -----------------------------------------------------------------------

def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "freshrepl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_invalid_file_gives_one_warning_then_defaults_and_the_session_goes_on(spawn, home):
    path = write_config(home, "quiet = true\nvi_mode = yes\n")
    term = spawn(cols=250)  # the warning on one line (a narrower terminal breaks it between words)
    text = term.wait_prompt(1)
    assert text.count("freshrepl: warning:") == 1
    if importlib.util.find_spec("tomllib") is not None:
        what = "not valid TOML .*line 2.*key 'vi_mode'"
    else:  # Python 3.10 reads the flat subset of TOML only, and names the line it cannot
        what = "line 2; key 'vi_mode' is not in the flat 'key = value' form"
    assert re.search(rf"warning: {re.escape(str(path))}: {what}.*using the defaults",
                     text.replace("\n", ""))
    assert "Python " in text  # quiet = true was not applied: defaults
    assert term.run("1 + 1") == "2"


def test_unknown_key_warns_once_naming_it_and_the_rest_applies(spawn, home):
    path = write_config(home, "quiet = true\ncompletion = false\n")
    term = spawn(cols=250)  # the warning on one line
    text = term.wait_prompt(1).replace("\n", "")
    assert text.startswith(f"freshrepl: warning: {path}: unknown key 'completion'")
    assert text.count("warning") == 1 and "Python " not in text
    assert term.run("6 * 7") == "42"


def test_quiet_from_the_file(spawn, home):
    write_config(home, "quiet = true\n")
    term = spawn()
    assert term.wait_prompt(1).startswith(">>>")


def test_color_scheme_changes_the_highlighting(spawn, home):
    def colour_of_def(term):
        cell = term.screen.buffer[term.screen.cursor.y][len(">>> ")]
        return cell.fg, cell.bold

    def highlighted(term):
        # Keys typed at the very first prompt are echoed plain until the editor is up
        # and redraws the line; a further key makes sure it has.
        term.send(" ")
        term.wait_for(lambda _: colour_of_def(term) != ("default", False))

    default = spawn("-q")
    default.wait_prompt(1)
    default.send("def")
    default.wait_for(">>> def")
    highlighted(default)
    write_config(home, 'color_scheme = "monokai"\n')
    themed = spawn("-q")
    themed.wait_prompt(1)
    themed.send("def")
    themed.wait_for(">>> def")
    highlighted(themed)
    assert colour_of_def(default) != colour_of_def(themed)
