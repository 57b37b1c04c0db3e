"""Synthetic corpus generation (``icop synth``): benign P2P naming plus SURROGATE markers.

See icop/synth/corpus.py for how names are built and split, and docs/CONTENT_RULES.md for the content rules.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from icop.io import tables
from icop.progress import Progress, report
from icop.synth import datasheet
from icop.synth.config import ConfigError, SynthConfig, load_config
from icop.synth.corpus import Record, columns, generate, iter_rows
from icop.synth.schema import CORPUS_SCHEMA, FIELDS

__all__ = ["ConfigError", "FIELDS", "Record", "SynthConfig", "generate", "load_config", "write_corpus"]

CORPUS_FILE = "corpus.parquet"
JSONL_FILE = "corpus.jsonl"
DATASHEET_FILE = "DATASHEET.md"


def write_corpus(
    config: SynthConfig, n: int, seed: int, out: str | Path, jsonl: bool = False, *, progress: Progress | None = None
) -> dict[str, Path]:
    """Generate ``n`` names and write the Parquet file (and JSONL), then the datasheet."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1 (got {n})")
    out = Path(out)
    records = generate(config, n, seed, progress)
    report(progress, "write the corpus and its data sheet", 0, 1)
    written = {CORPUS_FILE: out / CORPUS_FILE}
    tables.write_parquet(columns(records), CORPUS_SCHEMA, written[CORPUS_FILE])
    if jsonl:
        written[JSONL_FILE] = out / JSONL_FILE
        tables.write_jsonl(iter_rows(records), written[JSONL_FILE])
    digests = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in written.items()}
    written[DATASHEET_FILE] = out / DATASHEET_FILE
    with tables.atomic_path(written[DATASHEET_FILE]) as tmp:
        tmp.write_text(datasheet.render(records, config, seed, digests), encoding="utf-8")
    report(progress, "write the corpus and its data sheet", 1, 1)
    return written
