"""Faults, hostile inputs and the offline guarantee (docs/RELIABILITY.md lists each case)."""

import errno
import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icop.cli import cli
from icop.model import bundle
from icop.scoring.explain import explain
from icop.scoring.scorer import BatchScorer
from icop.text.normalize import normalize
from tests.conftest import DEFAULT_MODEL

MODEL = DEFAULT_MODEL


# --------------------------------------------------------------------------- offline


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


# --------------------------------------------------------------------------- hostile inputs


@pytest.fixture(scope="module")
def model():
    return bundle.load(MODEL).model


ANY_TEXT = st.one_of(
    st.text(st.characters(codec=None), max_size=80),
    st.text(
        st.sampled_from(list("aZ09 ._-[]ภาพยนตร์ำ่ស្រ្តីကျမန္ာ၀႔電影ｶﾗｵｹрасеёđơưọ😀\u200b\u200c\u00ad\ufe0f\u0301\x00\ud800")),
        max_size=60,
    ),
)
ANY_NAME = st.one_of(ANY_TEXT, st.binary(max_size=80))


@pytest.mark.hostile
@settings(max_examples=2000, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(ANY_NAME, min_size=1, max_size=8))
def test_hostile_names_through_every_stage(model, names):
    scorer = BatchScorer(model)
    normalized = [normalize(n) for n in names]
    for n in normalized:
        assert normalize(n.norm).norm == n.norm
    fast, _ = scorer.integer_logits(normalized)
    slow = model.integer_logits(model.featuriser().transform(normalized))
    assert np.array_equal(fast, slow)
    matcher = model.featuriser().matcher
    for raw, n in zip(names, normalized):
        for hit in matcher.scan(raw, n):
            assert 0 <= hit.start <= hit.end <= len(n.text)
    card = explain(model, names[0], scorer=scorer)
    assert card["exact_sum"]["holds"]


@pytest.mark.hostile
@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.binary(max_size=3000))
def test_hostile_bytes_through_the_readers(data):
    from icop.io import streams

    stats = streams.ReadStats()
    names = list(streams.read_names(io.BytesIO(data), "fuzz", "replace", stats))
    assert stats.lines == len(names) == data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert all(len(n.text) <= streams.MAX_NAME_CHARS for n in names)


# --------------------------------------------------------------------------- bundles


def test_a_pickle_in_a_bundle_is_refused_not_run(tmp_path, trained_bundle):
    import hashlib
    import shutil

    copy = tmp_path / "b"
    shutil.copytree(trained_bundle, copy)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"payload": "would run on unpickling"}], dtype=object), allow_pickle=True)
    (copy / "weights.npy").write_bytes(buffer.getvalue())
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["weights.npy"] = hashlib.sha256(buffer.getvalue()).hexdigest()  # even with a matching hash
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(bundle.BundleError, match="model files are inconsistent"):
        bundle.load(copy)


# --------------------------------------------------------------------------- triage faults


def test_disk_full_during_triage_leaves_no_output_and_can_resume(tmp_path, monkeypatch):
    from icop.triage import workdir

    names = tmp_path / "n.txt"
    names.write_text("\n".join(f"holiday video {i}.mp4" for i in range(2500)) + "\n")
    real_write = workdir.feather.write_feather
    calls = {"n": 0}

    def full_disk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(workdir.feather, "write_feather", full_disk)
    out = tmp_path / "o.csv"
    args = ["triage", str(names), "--model", str(MODEL), "-o", str(out), "--chunk-size", "500", "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert not out.exists() and names.read_text().count("\n") == 2500
    monkeypatch.setattr(workdir.feather, "write_feather", real_write)
    assert CliRunner().invoke(cli, [*args, "--resume"]).exit_code == 0
    clean = tmp_path / "clean.csv"
    CliRunner().invoke(cli, [*args[:4], "-o", str(clean), "--chunk-size", "500", "--quiet"])
    assert out.read_bytes() == clean.read_bytes()


@pytest.mark.slow
def test_two_million_names_in_bounded_memory(tmp_path):
    icop = str(Path(sys.executable).with_name("icop"))
    base = "\n".join(f"Family.Holiday.{i % 977}.Video.{i}.mp4" for i in range(100_000)) + "\n"
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text(base)
    large.write_text(base * 20)

    def peak_rss_mb(path):
        code = (
            "import resource, subprocess, sys; "
            f"subprocess.run([{icop!r}, 'triage', sys.argv[1], '--model', {str(MODEL)!r}, '-o', sys.argv[2], '--quiet'], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(path), str(path) + ".csv"], check=True, capture_output=True, text=True
        )
        return float(out.stdout.strip())

    small_mb, large_mb = peak_rss_mb(small), peak_rss_mb(large)
    assert large_mb < 1500, large_mb  # the fixed ceiling
    assert large_mb < small_mb * 1.35, (small_mb, large_mb)  # 20x the names, about the same memory
    with open(str(large) + ".csv") as output:
        assert sum(1 for _ in output) == 2_000_001
