import json
import os
import shutil
import zipfile

import pytest

from icop.model import bundle
from icop.model.bundle import BundleError


@pytest.fixture
def copy(tmp_path, trained_bundle):
    target = tmp_path / "b"
    shutil.copytree(trained_bundle, target)
    return target


def test_zip_form_round_trips(tmp_path, trained_bundle):
    archive = bundle.write_zip(trained_bundle, tmp_path / "m.zip")
    _loaded = bundle.load(archive)
    model, manifest = _loaded.model, _loaded.manifest
    direct = bundle.load(trained_bundle).model
    assert (model.weights == direct.weights).all() and manifest == bundle.load(trained_bundle).manifest
    assert bundle.write_zip(trained_bundle, tmp_path / "n.zip").read_bytes() == archive.read_bytes()


@pytest.mark.parametrize("name", ["weights.npy", "model.json", "subwords.model", "MODEL_CARD.md", "keywords/th.tsv"])
def test_missing_truncated_or_flipped_files_are_named(copy, name):
    original = (copy / name).read_bytes()
    (copy / name).write_bytes(original[: len(original) // 2])
    with pytest.raises(BundleError, match=f"{name}: SHA-256 differs"):
        bundle.load(copy)
    flipped = bytearray(original)
    flipped[len(flipped) // 3] ^= 0x01
    (copy / name).write_bytes(bytes(flipped))
    with pytest.raises(BundleError, match=f"{name}: SHA-256 differs"):
        bundle.load(copy)
    (copy / name).unlink()
    with pytest.raises(BundleError, match=f"{name}: listed in the manifest but missing"):
        bundle.load(copy)


def test_extra_file_and_symlink_are_refused(copy):
    (copy / "payload.pkl").write_bytes(b"not allowed")
    with pytest.raises(BundleError, match="payload.pkl: not listed in the manifest"):
        bundle.load(copy)
    (copy / "payload.pkl").unlink()
    os.symlink("/etc/passwd", copy / "link")
    with pytest.raises(BundleError, match="link: symbolic link"):
        bundle.load(copy)


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "schema_version",
            bundle.SCHEMA_VERSION + 1,
            f"bundle schema version {bundle.SCHEMA_VERSION + 1}, this icop reads {bundle.SCHEMA_VERSION}; upgrade icop",
        ),
        ("schema_version", 0, "rebuild it with this icop"),
        ("icop_version", "99.0.0", "written by icop 99.0.0"),
        ("format", "something-else", "not an icop model bundle"),
    ],
)
def test_manifest_versions_and_format(copy, field, value, message):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest[field] = value
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=message):
        bundle.load(copy)


def test_broken_manifest(copy):
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="manifest.json: not valid JSON"):
        bundle.load(copy)


def _zip_with(tmp_path, trained_bundle, name, data=b"x", symlink=False):
    archive = bundle.write_zip(trained_bundle, tmp_path / "m.zip")
    with zipfile.ZipFile(archive, "a") as z:
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = 0o120777 << 16
        z.writestr(info, data)
    return archive


@pytest.mark.parametrize(
    "name, symlink, message",
    [
        ("../evil.txt", False, "unsafe path"),
        ("/etc/evil.txt", False, "unsafe path"),
        ("keywords/../../evil", False, "unsafe path"),
        ("link", True, "symbolic link in the archive"),
        ("extra.txt", False, "extra.txt: not listed in the manifest"),
    ],
)
def test_hostile_archives_are_refused(tmp_path, trained_bundle, name, symlink, message):
    with pytest.raises(BundleError, match=message):
        bundle.load(_zip_with(tmp_path, trained_bundle, name, symlink=symlink))


def test_not_a_bundle(tmp_path):
    (tmp_path / "f.zip").write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(BundleError, match="not a directory or a zip archive"):
        bundle.load(tmp_path / "f.zip")
    with pytest.raises(BundleError, match="no such bundle"):
        bundle.load(tmp_path / "absent")
