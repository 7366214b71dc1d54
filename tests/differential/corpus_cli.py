"""Project cases: command-line tools written with click and typer, run through their ``CliRunner``.

click builds its ``Command`` and ``Option`` objects when the decorators run;
typer keeps the functions and builds the click command on every call.  An
edit of a command's body must run as written; an edit of an option or a
parameter default must either reach the command as in a fresh process or be
refused.
"""

from __future__ import annotations

from .case import Case, Group

CLICK = """
import click

GREETING = "Hello"
TIMES = 1


@click.group()
def cli():
    pass


@cli.command()
@click.option("--count", default=TIMES, help="How many times.")
@click.argument("name")
def hello(count, name):
    for _ in range(count):
        click.echo(f"{GREETING} {name}")


@cli.command()
@click.option("--shout/--no-shout", default=False)
def bye(shout):
    text = "bye"
    click.echo(text.upper() if shout else text)
"""
CLICK_SETUP = """
from click.testing import CliRunner
from m import cli, hello
runner = CliRunner()
"""
TYPER = """
import typer

app = typer.Typer()


@app.command()
def hello(name: str, count: int = 1):
    for _ in range(count):
        typer.echo(f"Hello {name}")


@app.command()
def bye(name: str, formal: bool = False):
    typer.echo(f"Goodbye {name}" if formal else f"bye {name}")
"""
TYPER_SETUP = """
from typer.testing import CliRunner
from m import app
runner = CliRunner()
"""


def _invoke(command: str, *args: str) -> str:
    """A probe: exit code and output of one invocation through the runner made before the edit."""
    return f"(lambda r: (r.exit_code, r.output))(runner.invoke({command}, {list(args)!r}))"


CLICK_PROBES = [_invoke("cli", "hello", "--count", "2", "ann"), _invoke("cli", "hello", "bob"),
                _invoke("cli", "bye", "--shout"), _invoke("hello", "cy")]
TYPER_PROBES = [_invoke("app", "hello", "ann", "--count", "2"), _invoke("app", "hello", "bob"),
                _invoke("app", "bye", "cy", "--formal"), _invoke("app", "bye", "di")]
HELP = _invoke("cli", "hello", "--help")

click_ = Group("click", CLICK, CLICK_SETUP)
typer_ = Group("typer", TYPER, TYPER_SETUP)

CASES: list[Case] = [
    click_.edit("command_body", 'f"{GREETING} {name}"', 'f"{GREETING}, {name}!"', CLICK_PROBES,
                must_apply=True),
    click_.edit("module_constant", 'GREETING = "Hello"', 'GREETING = "Hi"', CLICK_PROBES),
    click_.edit("option_default", "default=TIMES,", "default=3,", CLICK_PROBES),
    click_.edit("option_default_from_constant", "TIMES = 1", "TIMES = 2", CLICK_PROBES),
    click_.edit("option_help", 'help="How many times."', 'help="Number of greetings."',
                [HELP, *CLICK_PROBES]),
    click_.edit("option_added", '@click.argument("name")\ndef hello(count, name):',
                '@click.option("--loud", is_flag=True)\n@click.argument("name")\n'
                "def hello(count, name, loud=False):",
                [_invoke("cli", "hello", "--loud", "ann"), *CLICK_PROBES]),
    click_.edit("command_added", "\n\n@cli.command()\n@click.option(\"--shout",
                '\n\n@cli.command()\ndef version():\n    click.echo("1.0")\n\n\n'
                '@cli.command()\n@click.option("--shout',
                [_invoke("cli", "version"), *CLICK_PROBES]),
    click_.edit("local_in_body", 'text = "bye"', 'text = "see you"', CLICK_PROBES,
                must_apply=True),
    typer_.edit("app_constructor_changed", "app = typer.Typer()",
                'app = typer.Typer(help="Greets people.")',
                [*TYPER_PROBES, _invoke("app", "--help")]),
    click_.edit("group_decorator_changed", "@click.group()", '@click.group(help="Greets people.")',
                [*CLICK_PROBES, _invoke("cli", "--help")]),
    typer_.edit("command_body", 'f"Hello {name}"', 'f"Hello, {name}!"', TYPER_PROBES,
                must_apply=True),
    typer_.edit("parameter_default", "count: int = 1", "count: int = 2", TYPER_PROBES),
    typer_.edit("parameter_added", "def bye(name: str, formal: bool = False):",
                'def bye(name: str, formal: bool = False, title: str = ""):',
                [_invoke("app", "bye", "di", "--title", "Dr"), *TYPER_PROBES]),
    typer_.edit("command_added", "\n\n@app.command()\ndef bye",
                '\n\n@app.command()\ndef version():\n    typer.echo("1.0")\n\n\n'
                "@app.command()\ndef bye",
                [_invoke("app", "version"), *TYPER_PROBES]),
]

PRELOAD = ["click", "click.testing", "typer", "typer.testing", "typer.main"]
