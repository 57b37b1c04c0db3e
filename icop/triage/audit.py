"""The audit record of a triage run: what was scored, with what, how, and what came out."""

from __future__ import annotations

import hashlib
import json

from icop import __version__
from icop.compiled import DRIVERS
from icop.io import tables

AUDIT_SUFFIX = ".audit.json"


def sha256_of_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_audit(
    target: str,
    *,
    inputs: list[str],
    input_digests: dict[str, str],
    bundle_digest: str,
    options: dict,
    threshold: int,
    threshold_source: str,
    counts: dict,
    seconds: float,
    names_per_second: float,
) -> str:
    """Write the audit record (JSON) to ``target``; returns its path."""
    record = {
        "icop_version": __version__,
        "compiled_drivers": DRIVERS.compiled,  # identical results either way
        "bundle_manifest_sha256": bundle_digest,
        "inputs": [{"path": source, "sha256": input_digests.get(source)} for source in inputs],
        "output": target.removesuffix(AUDIT_SUFFIX),
        "options": options,
        "threshold": {"logit": threshold, "source": threshold_source},
        "counts": counts,
        "seconds": round(seconds, 3),
        "names_per_second": round(names_per_second),
    }
    with tables.atomic_path(target) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    return target
