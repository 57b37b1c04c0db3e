"""Every command is documented in the README and has help text (as sqlite-utils does)."""

import click
import pytest

from icop.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


@pytest.mark.parametrize("name, command", list(_commands(cli)), ids=lambda x: x if isinstance(x, str) else "")
def test_command_is_in_the_readme_and_has_help(name, command):
    assert f"icop {name}" in README
    assert command.help and len(command.help) > 20


def test_readme_opens_with_the_two_commands():
    lines = README.splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert [line.split()[:2] for line in block] == [["make", "run"], ["make", "test"]]
