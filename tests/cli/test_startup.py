"""``icop --help`` and ``icop explain NAME`` start without the heavy libraries.

Each command runs in a fresh interpreter through a small wrapper that, once the command has
finished, writes the top-level packages the process imported. Timings live in
scripts/bench_startup.py, not here.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: Libraries only training, calibration fitting, baselines, evaluation or the integrations need.
HEAVY = {"sklearn", "scipy", "statsmodels", "mlflow", "pandas", "matplotlib"}

WRAPPER = """
import json, runpy, sys
report, sys.argv = sys.argv[1], ["icop", *sys.argv[2:]]
try:
    runpy.run_module("icop", run_name="__main__")
except SystemExit as stop:
    code = stop.code
with open(report, "w") as out:
    json.dump(sorted({name.split(".")[0] for name in sys.modules}), out)
sys.exit(code)
"""


def imported_by(args: list[str], tmp_path) -> tuple[set[str], str]:
    report = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(report), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(report.read_text())), result.stdout


def test_help_imports_no_heavy_library(tmp_path):
    modules, out = imported_by(["--help"], tmp_path)
    assert "explain" in out and "triage" in out
    assert "icop" in modules and not modules & HEAVY


@pytest.mark.parametrize(
    ("name", "thai_repairs"),
    [
        ("holiday.jpg", False),
        # Thai needing repair (a doubled SARA E), Khmer, Myanmar and Han: the lazily imported normalisers run.
        ("\u0e40\u0e40\u0e1e\u0e25\u0e07 \u179f\u17b6\u179b\u17b6 \u1019\u103c\u1014\u103a\u1019\u102c \u5b78\u6821.mp4", True),
    ],
)
def test_explain_imports_no_heavy_library(tmp_path, name, thai_repairs):
    modules, out = imported_by(["explain", "--format", "json", name], tmp_path)
    assert json.loads(out)["name"] == name
    assert {"numpy", "click", "icu", "sentencepiece"} <= modules and not modules & HEAVY
    assert ("pythainlp" in modules) == thai_repairs  # imported only when Thai text needs its repairs
