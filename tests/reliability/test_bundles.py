"""Model bundles that were tampered with or damaged: refused with a clear error, exit 3.

Cases 15 and 19 of docs/RELIABILITY.md, and a pickle in a bundle. (Missing, truncated,
altered, extra files and hostile archives: tests/model/test_bundle.py.)
"""

import hashlib
import io
import json
import re
import shutil

import numpy as np
import pytest

from icop.model import bundle
from tests.reliability.conftest import MODEL, icop, rows, triage


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "b"
    shutil.copytree(MODEL, target)
    return target


def edit_manifest(copy, change, reseal=False):
    path = copy / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_bytes(bundle.manifest_bytes(bundle.seal(manifest) if reseal else manifest))


def test_a_pickle_in_a_bundle_is_refused_not_run(copy):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"payload": "would run on unpickling"}], dtype=object), allow_pickle=True)
    (copy / "weights.npy").write_bytes(buffer.getvalue())
    # even with every hash recomputed, as a forger would
    edit_manifest(copy, lambda m: m["files"].update({"weights.npy": hashlib.sha256(buffer.getvalue()).hexdigest()}), reseal=True)
    with pytest.raises(bundle.BundleError, match="model files are inconsistent"):
        bundle.load(copy)


# --------------------------------------------------------------------------- 15: manifest schema


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.update(files=None), "manifest.json: files: None is not of type 'object'"),
        (lambda m: m.update(files={}), "manifest.json: files: {} should be non-empty"),
        (lambda m: m["files"].update({"model.json": 5}), "manifest.json: files['model.json']: 5 is not of type 'string'"),
        (lambda m: m["files"].update({"model.json": "abc"}), "files['model.json']: 'abc' does not match"),
        (lambda m: m.pop("kind"), "manifest.json: the manifest: 'kind' is a required property"),
        (lambda m: m.update(seed="zero"), "manifest.json: seed: 'zero' is not of type 'integer'"),
    ],
)
def test_a_manifest_that_breaks_the_schema_is_a_clear_error(copy, change, message):
    edit_manifest(copy, change, reseal=True)
    with pytest.raises(bundle.BundleError, match=re.escape(message)):
        bundle.load(copy)
    result = triage("-", "--model", copy, "--audit", copy.parent / "a.json", input="a.mp4\n")
    assert result.exit_code == 3 and "Traceback" not in result.output


# --------------------------------------------------------------------------- 19: manifest values authenticated


def test_a_manifest_without_its_content_digest_is_refused(copy):
    edit_manifest(copy, lambda m: m.pop("content_sha256"))
    with pytest.raises(bundle.BundleError, match="manifest.json: the manifest: 'content_sha256' is a required property"):
        bundle.load(copy)


def test_an_edited_manifest_value_is_detected(copy):
    edit_manifest(copy, lambda m: m["metrics"].update(validation_average_precision=0.999))
    result = triage("-", "--model", copy, "--audit", copy.parent / "a.json", input="a.mp4\n")
    assert result.exit_code == 3 and "manifest.json: its values differ from those the bundle was written with" in result.stderr


def test_triage_reports_the_bundle_digest_it_used(tmp_path):
    digest = bundle.load(MODEL).digest
    result = triage("-", "-o", tmp_path / "o.csv", input="a.mp4\n")
    assert result.stderr.rstrip().endswith(f"; model manifest sha256 {digest}")
    audit = json.loads((tmp_path / "o.csv.audit.json").read_text())
    assert audit["model"]["manifest_sha256"] == digest == hashlib.sha256((MODEL / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest sha256 {digest}" in icop("verify", MODEL).output
    assert len(rows(tmp_path / "o.csv")) == 1


def test_bundles_written_now_carry_their_content_digest(trained_bundle):
    manifest = json.loads((trained_bundle / "manifest.json").read_text())
    assert (
        manifest["content_sha256"] == bundle.seal({k: v for k, v in manifest.items() if k != "content_sha256"})["content_sha256"]
    )
