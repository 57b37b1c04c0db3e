"""Memory does not grow with the input."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import MODEL


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
