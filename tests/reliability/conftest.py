"""Helpers of the fault-injection suite (docs/RELIABILITY.md lists every case and its test)."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from icop.cli import cli
from tests.conftest import DEFAULT_MODEL

MODEL = Path(DEFAULT_MODEL)


def icop(*args, input=None):
    """``icop ARGS`` in this process."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def triage(*args, input=None):
    return icop("triage", "--model", MODEL, *args, input=input)


def icop_process(*args, env=None, **kwargs) -> subprocess.Popen:
    """``icop ARGS`` as its own process (for signals, pipes and the environment)."""
    return subprocess.Popen(
        [sys.executable, "-m", "icop", *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), **(env or {})},
        **kwargs,
    )


def rows(path_or_text) -> list[dict]:
    text = Path(path_or_text).read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    return list(csv.DictReader(io.StringIO(text, newline="")))


def audit_of(output: Path) -> dict:
    return json.loads(Path(str(output) + ".audit.json").read_text())


@pytest.fixture(scope="session")
def many_names(tmp_path_factory) -> Path:
    """6,000 distinct benign synthetic names, one per line."""
    path = tmp_path_factory.mktemp("many") / "names.txt"
    path.write_text("".join(f"Family.Holiday.{i % 97}.Video.{i}.mp4\n" for i in range(6000)), encoding="utf-8")
    return path
