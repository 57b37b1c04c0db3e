"""The audit record of a scoring run: what was scored, with what, by whom, and what came out.

One record, one schema (``icop/resources/audit.schema.json``), built by :func:`build_record`
for every path that scores names: ``icop triage`` and the Dask and Spark adapters. It holds no
scored name (docs/CONTENT_RULES.md rule 7) and no key: keys appear as keyed fingerprints, which tell keys
apart without disclosing them. Files inside the record's own folder are named relative to it (others
absolutely), so a case folder can be moved as a whole and still be verified;
:func:`verify` re-hashes the inputs, the output, its companions and the model bundle and says,
item by item, whether they still match.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from icop import __version__
from icop.compiled import DRIVERS
from icop.errors import IcopError, InputError
from icop.io import tables
from icop.keywords.hashing import key_check_value

AUDIT_SUFFIX = ".audit.json"
SCHEMA_VERSION = 1
RECORD = "icop audit record"
#: The packages whose versions decide a score (normalisation, subwords, matching, tables).
SCORING_STACK = (
    "numpy",
    "pyarrow",
    "regex",
    "pyicu-wheels",
    "pythainlp",
    "myanmartools",
    "khmerspell",
    "opencc",
    "anyascii",
    "sentencepiece",
)
STREAM = "stream"


@dataclass(frozen=True)
class Digested:
    """A file, a directory (a dataset of files) or a stream, with the SHA-256 of its bytes."""

    path: str
    sha256: str | None
    kind: str = "file"  # file, directory or stream (stdin, stdout, a device, a pipe: not re-hashable)
    format: str | None = None
    role: str | None = None  # for the companions of an output: groups, explanations


def sha256_of_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def sha256_of_path(path: str | Path) -> str:
    """The SHA-256 of a file; of a directory (a dataset), the SHA-256 of its sorted lines
    ``<sha256 of the file>  <path relative to the directory>`` (hidden files left out)."""
    path = Path(path)
    if not path.is_dir():
        return sha256_of_file(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts))
    lines = "".join(f"{sha256_of_file(p)}  {p.relative_to(path).as_posix()}\n" for p in files)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def digested(path: str, *, fmt: str | None = None, role: str | None = None) -> Digested:
    """A file or directory as it is now."""
    kind = "directory" if Path(path).is_dir() else "file"
    return Digested(path, sha256_of_path(path), kind, fmt, role)


def key_fingerprint(key: bytes | None) -> str | None:
    """A keyed fingerprint that tells keys apart without disclosing them."""
    return None if key is None else key_check_value(key)


def operator_name(operator: str | None = None) -> str:
    """Who ran it: as given (``--operator``), else the operating system's user name."""
    if operator:
        return operator
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (some containers)
        return f"uid {os.getuid()}"


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """icop, Python and every package of the scoring stack (and ``extra``), by version."""
    found = {"icop": __version__, "python": platform.python_version()}
    for package in (*SCORING_STACK, *extra):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    return found


def build_record(
    target: str,
    *,
    engine: str,
    inputs: list[Digested],
    output: Digested,
    bundle_path: str,
    bundle_digest: str,
    operator: str | None,
    options: dict,
    threshold: int,
    threshold_source: str,
    counts: dict,
    seconds: float,
    companions: list[Digested] = (),
    redaction_key: bytes | None = None,
    keyword_key: bytes | None = None,
    engine_packages: tuple[str, ...] = (),
) -> dict:
    """The audit record (module docstring) that will be written to ``target``."""
    here = Path(target).resolve().parent

    def entry(item: Digested) -> dict:
        named = {"path": item.path if item.kind == STREAM else _relative(item.path, here), "kind": item.kind}
        return {**named, "sha256": item.sha256} | {k: v for k, v in (("format", item.format), ("role", item.role)) if v}

    return {
        "record": RECORD,
        "schema_version": SCHEMA_VERSION,
        "engine": engine,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "operator": operator_name(operator),
        "versions": versions(engine_packages),
        "compiled_drivers": DRIVERS.compiled,  # identical results either way
        "model": {"path": _relative(bundle_path, here), "manifest_sha256": bundle_digest},
        "inputs": [entry(i) for i in inputs],
        "output": entry(output),
        "companions": [entry(c) for c in companions],
        "keys": {
            "redaction_key_fingerprint": key_fingerprint(redaction_key),
            "keyword_key_fingerprint": key_fingerprint(keyword_key),
        },
        "options": options,
        "threshold": {"logit": int(threshold), "source": threshold_source},
        "counts": counts,
        "seconds": round(seconds, 3),
        "names_per_second": round(counts["names"] / seconds) if seconds else 0,
    }


def write_audit(target: str, record: dict) -> str:
    """Write the record (JSON) to ``target`` atomically; returns its path."""
    with tables.atomic_path(target) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return target


def _relative(path: str, base: Path) -> str:
    """Relative to ``base`` for a file inside it (the case folder moves as one), else absolute."""
    absolute = Path(path).resolve()
    return str(absolute.relative_to(base)) if absolute.is_relative_to(base) else str(absolute)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Check:
    """One item of :func:`verify`: ``status`` is match, mismatch, missing or not re-hashable."""

    item: str
    path: str
    status: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("mismatch", "missing")


def read_record(path: str | Path) -> dict:
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read the audit record ({err})", path=str(path), fix="give an icop .audit.json file") from err
    if not isinstance(record, dict) or record.get("record") != RECORD:
        raise InputError("not an icop audit record", path=str(path), fix="give the .audit.json file a run wrote")
    return record


def verify(path: str | Path, *, output: str | None = None, bundle_digest: Callable[[str], str] | None = None) -> list[Check]:
    """Re-hash everything the record at ``path`` names. ``output``: where an output that went
    to stdout or a pipe was saved. ``bundle_digest``: how to verify and hash a bundle (default:
    load it, which checks every file against its manifest)."""
    record = read_record(path)
    here = Path(path).resolve().parent
    checks = [_check(f"input {i}", entry, here) for i, entry in enumerate(record["inputs"], 1)]
    saved = {**record["output"], "path": os.path.relpath(Path(output).resolve(), here), "kind": "file"} if output else None
    checks.append(_check("output", saved or record["output"], here))
    checks += [_check(entry.get("role", "companion"), entry, here) for entry in record.get("companions", [])]
    checks.append(_check_bundle(record["model"], here, bundle_digest or _loaded_bundle_digest))
    return checks


def _check(item: str, entry: dict, here: Path) -> Check:
    if entry["kind"] == STREAM:
        return Check(
            item, entry["path"], "not re-hashable", "read or written as a stream; recorded sha256 " + str(entry["sha256"])
        )
    where = here / entry["path"]
    if not where.exists():
        return Check(item, entry["path"], "missing")
    now = sha256_of_path(where)
    if now != entry["sha256"]:
        return Check(item, entry["path"], "mismatch", f"recorded {entry['sha256']}, now {now}")
    return Check(item, entry["path"], "match")


def _check_bundle(model: dict, here: Path, bundle_digest: Callable[[str], str]) -> Check:
    where = here / model["path"]
    if not where.exists():
        return Check("model bundle", model["path"], "missing")
    try:
        now = bundle_digest(str(where))
    except IcopError as err:  # a file of the bundle that no longer matches its manifest
        return Check("model bundle", model["path"], "mismatch", str(err))
    if now != model["manifest_sha256"]:
        return Check("model bundle", model["path"], "mismatch", f"recorded manifest {model['manifest_sha256']}, now {now}")
    return Check("model bundle", model["path"], "match")


def _loaded_bundle_digest(path: str) -> str:
    from icop.model import bundle

    return bundle.load(path).digest
