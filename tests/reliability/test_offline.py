"""Offline by default (docs/CONTENT_RULES.md rule 8) and nothing needed under $HOME.

Case 10 of docs/RELIABILITY.md, and the offline guarantee.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from icop.cli import cli
from tests.reliability.conftest import MODEL


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise ConnectionRefusedError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_whole_flow_runs_with_every_connection_refused(tmp_path, no_network, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where MLflow would write telemetry state
    runner = CliRunner()

    def ok(*args):
        result = runner.invoke(cli, list(map(str, args)))
        assert result.exit_code == 0, result.output
        return result

    ok("synth", "--n", "4000", "--seed", "2", "--out", "corpus", "--quiet")
    ok(
        "train",
        "--data",
        "corpus/corpus.parquet",
        "--out",
        "model",
        "--tracking-uri",
        f"sqlite:///{tmp_path}/mlflow.db",
        "--quiet",
    )
    ok("triage", "corpus/corpus.parquet", "--model", "model", "-o", "queue.csv", "--quiet")
    ok("evaluate", "--model", "model", "--data", "corpus/corpus.parquet", "--out", "report", "--quiet")
    ok("export-onnx", "--model", "model", "--out", "model.onnx")
    assert no_network == []  # nothing even tried
    assert not (tmp_path / "home" / ".config" / "mlflow").exists()  # telemetry never initialised


def test_telemetry_is_off_in_the_cli_process():
    import os

    assert os.environ.get("MLFLOW_DISABLE_TELEMETRY") == "true" and os.environ.get("DO_NOT_TRACK") == "true"


# --------------------------------------------------------------------------- 10: no $HOME


@pytest.mark.parametrize(
    "args",
    [
        ["triage", "-", "--model", str(MODEL), "--quiet", "--audit", "run.audit.json"],
        ["explain", "IMG_0001.JPG", "--model", str(MODEL)],
        ["keywords", "scan", "-", "--quiet"],
        ["normalize", "-", "--quiet"],
        ["verify", str(MODEL)],
    ],
)
def test_every_command_runs_without_a_usable_home(tmp_path, args):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("HOME below a file: nothing can be created there, not even by root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHAINLP")}
    env |= {"HOME": str(not_a_folder / "home"), "PYTHONPATH": str(Path(__file__).parents[2])}
    result = subprocess.run(
        [sys.executable, "-m", "icop", *args], input=b"a.mp4\n", env=env, capture_output=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert b"Traceback" not in result.stderr
