"""Model bundles: safe files only, every one hashed, verified before anything is used.

A bundle is a directory (or a zip of one) holding::

    manifest.json     schema version, kind, config, seeds, training-data hash, package
                      versions, git commit, metrics, and the SHA-256 of every other file
    model.json        feature space, intercept, calibration, operating points
    weights.npy       int32 weights (loaded with allow_pickle=False)
    subwords.model    the sentencepiece model (a protobuf)
    keywords/*.tsv    the keyword lists the model was trained with (as given: plain or hashed)
    MODEL_CARD.md     the model card

No pickle or joblib: a bundle that arrives from another agency cannot run code. Loading checks
the manifest's schema version and the icop version that wrote it, the manifest against its JSON
Schema (:data:`MANIFEST_SCHEMA`), the manifest's own values against its ``content_sha256``, then
every file against its hash; a missing, truncated, altered or extra file, an edited manifest
value, a symlink, or a zip entry with ``..`` or an absolute path is refused with an error naming
the file.

The SHA-256 of ``manifest.json`` (``Bundle.digest``) therefore pins the whole bundle; triage,
explanations and reports record it, and ``icop verify`` prints it, so a bundle can be
compared with the digest its publisher announced. (Nothing inside a bundle can prove who made
it: whoever can rewrite every file can rewrite every hash.)
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from icop import __version__
from icop.errors import BundleError
from icop.model.base import Model

FORMAT = "icop-model"
SCHEMA_VERSION = 2  # 2: n-gram families are presence features
MANIFEST = "manifest.json"
#: A bundle larger than this (uncompressed) is refused: models are a few MB.
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
#: The manifest field holding the SHA-256 of the manifest's other values (see :func:`seal`).
CONTENT_DIGEST = "content_sha256"
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
#: What a manifest must hold for icop to read it (other fields are descriptive and free).
MANIFEST_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "schema_version", "icop_version", "kind", "files", CONTENT_DIGEST],
    "properties": {
        "format": {"type": "string"},
        "schema_version": {"type": "integer"},
        "icop_version": {"type": "string"},
        "kind": {"type": "string"},
        "files": {"type": "object", "minProperties": 1, "additionalProperties": _SHA256},
        CONTENT_DIGEST: _SHA256,
        "model_name": {"type": "string"},
        "seed": {"type": "integer"},
        "config": {"type": "object"},
        "metrics": {"type": "object"},
        "training_data": {"type": "object"},
        "keywords": {"type": "object"},
        "packages": {"type": "object"},
    },
}


@dataclass(frozen=True)
class Bundle:
    """A verified, loaded bundle."""

    model: Model
    manifest: dict
    digest: str  # SHA-256 of manifest.json: one hash that pins every file of the bundle
    path: str


# --------------------------------------------------------------------------- writing


def write(model: Model, path: str | Path, manifest: dict, card: str) -> Path:
    """Write a bundle directory; ``manifest`` gives the descriptive fields, hashes are added here."""
    path = Path(path)
    if path.exists() and any(path.iterdir()):
        raise BundleError(f"{path}: exists and is not empty; choose a new directory")
    files = model.to_files()
    files["MODEL_CARD.md"] = card.encode("utf-8")
    full = seal(
        {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "icop_version": __version__,
            "kind": model.kind,
            **manifest,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        }
    )
    files[MANIFEST] = manifest_bytes(full)
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def seal(manifest: dict) -> dict:
    """``manifest`` with its :data:`CONTENT_DIGEST`: the SHA-256 of its other values, so that an
    edited value (a threshold, a metric) is detected when the bundle is loaded."""
    return {**manifest, CONTENT_DIGEST: _content_digest(manifest)}


def manifest_bytes(manifest: dict) -> bytes:
    """``manifest.json`` as written: sorted keys, indented, UTF-8."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _content_digest(manifest: dict) -> str:
    values = {k: v for k, v in manifest.items() if k != CONTENT_DIGEST}
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def write_zip(directory: str | Path, target: str | Path) -> Path:
    """The single-file form of a bundle: a zip of the verified directory, entries in fixed order."""
    files = _read_files(Path(directory))
    verify(files, str(directory))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED)
    return Path(target)


# --------------------------------------------------------------------------- reading


def load(path: str | Path) -> Bundle:
    """Verify and load a bundle directory or zip."""
    files = _read_files(Path(path))
    manifest = verify(files, str(path))
    kind = manifest["kind"]
    if kind not in _READERS:
        raise BundleError(f"{path}/{MANIFEST}: unknown model kind {kind!r}")
    try:
        model = _reader(kind)(files, kind)
    except (KeyError, TypeError, ValueError) as err:
        raise BundleError(f"{path}: model files are inconsistent ({err})") from err
    return Bundle(model, manifest, hashlib.sha256(files[MANIFEST]).hexdigest(), str(path))


#: Model kinds and the class that reads each (imported when needed: the TF-IDF baseline needs scikit-learn).
_READERS = {
    "linear": "icop.model.linear:LinearModel",
    "keywords": "icop.model.linear:LinearModel",
    "tfidf": "icop.model.baselines:TfidfModel",
}


def _reader(kind: str):
    import importlib

    module, name = _READERS[kind].split(":")
    return getattr(importlib.import_module(module), name).from_files


def verify(files: dict[str, bytes], where: str) -> dict:
    """Check the manifest and every file's hash; returns the manifest."""
    manifest = _json(files, MANIFEST, where)
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{where}/{MANIFEST}: not an icop model bundle (format {manifest.get('format')!r})")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        hint = "upgrade icop to read it" if newer else "rebuild it with this icop"
        raise BundleError(f"{where}/{MANIFEST}: bundle schema version {version!r}, this icop reads {SCHEMA_VERSION}; {hint}")
    if _version_tuple(manifest.get("icop_version", "0")) > _version_tuple(__version__):
        raise BundleError(
            f"{where}/{MANIFEST}: written by icop {manifest['icop_version']}, this is icop {__version__}; upgrade icop to read it"
        )
    _check_schema(manifest, where)
    if manifest[CONTENT_DIGEST] != _content_digest(manifest):
        raise BundleError(
            f"{where}/{MANIFEST}: its values differ from those the bundle was written with ({CONTENT_DIGEST} does not match); "
            "the manifest was edited: use the bundle as published, or rebuild it"
        )
    expected = manifest["files"]
    for name, digest in sorted(expected.items()):
        if name not in files:
            raise BundleError(f"{where}/{name}: listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise BundleError(f"{where}/{name}: SHA-256 differs from the manifest (truncated or altered)")
    extra = sorted(set(files) - set(expected) - {MANIFEST})
    if extra:
        raise BundleError(f"{where}/{extra[0]}: not listed in the manifest (extra file); remove it or rebuild the bundle")
    return manifest


def _check_schema(manifest: dict, where: str) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(manifest))
    if error is not None:
        field = error.json_path.removeprefix("$.") if error.json_path != "$" else "the manifest"
        raise BundleError(f"{where}/{MANIFEST}: {field}: {error.message}; not a readable icop model manifest")


def _read_files(path: Path) -> dict[str, bytes]:
    if not path.exists():
        raise BundleError(f"{path}: no such bundle")
    return _read_zip(path) if path.is_file() else _read_directory(path)


def _read_directory(root: Path) -> dict[str, bytes]:
    files, total = {}, 0
    for item in sorted(root.rglob("*")):
        name = item.relative_to(root).as_posix()
        if item.is_symlink():
            raise BundleError(f"{root}/{name}: symbolic link in a bundle; bundles hold plain files only")
        if item.is_file():
            total += item.stat().st_size
            if total > MAX_BUNDLE_BYTES:
                raise BundleError(f"{root}: larger than {MAX_BUNDLE_BYTES} bytes; not a model bundle")
            files[name] = item.read_bytes()
    return files


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise BundleError(f"{path}: not a directory or a zip archive ({err})") from err
    files, total = {}, 0
    with archive:
        for info in archive.infolist():
            name = info.filename
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or "\\" in name or (len(name) > 1 and name[1] == ":"):
                raise BundleError(f"{path}:{name}: unsafe path in the archive (absolute or with '..')")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise BundleError(f"{path}:{name}: symbolic link in the archive; bundles hold plain files only")
            if info.is_dir():
                continue
            if name in files:
                raise BundleError(f"{path}:{name}: appears twice in the archive")
            total += info.file_size
            if total > MAX_BUNDLE_BYTES:
                raise BundleError(f"{path}: expands beyond {MAX_BUNDLE_BYTES} bytes; not a model bundle")
            try:
                files[name] = archive.read(info)
            except (zipfile.BadZipFile, zlib.error) as err:
                raise BundleError(f"{path}:{name}: corrupt archive entry ({err})") from err
    return files


def _json(files: dict[str, bytes], name: str, where: str) -> dict:
    """A JSON object from a bundle file, or a BundleError naming it."""
    if name not in files:
        raise BundleError(f"{where}/{name}: missing; not a complete icop model bundle")
    try:
        data = json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BundleError(f"{where}/{name}: not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise BundleError(f"{where}/{name}: expected a JSON object")
    return data


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in str(version).split(".")[:3])
