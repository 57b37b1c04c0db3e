import hashlib
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEFAULT_MODEL, ROOT

DEFAULT = Path(DEFAULT_MODEL)


def test_shipped_default_model_verifies_and_is_small(default_bundle):
    model, manifest = default_bundle.model, default_bundle.manifest
    assert manifest["kind"] == "linear" and manifest["seed"] == 0
    assert manifest["keywords"]["surrogate"] is True
    assert sum(p.stat().st_size for p in DEFAULT.rglob("*") if p.is_file()) < 10 * 1024 * 1024
    assert (DEFAULT / "MODEL_CARD.md").read_text().startswith("# Model card: icop-linear")
    assert model.score(["IMG_0001.JPG", "Family.Holiday.2019.mkv"]).probabilities.shape == (2,)


def test_build_script_is_deterministic_at_reduced_size(tmp_path):
    icop = str(Path(sys.executable).with_name("icop"))
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "build_default_model.sh"), icop, "3000", str(out)], check=True, capture_output=True
        )
        digests.append(hashlib.sha256((out / "weights.npy").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
