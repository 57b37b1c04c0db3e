"""The main job: score names in bounded memory and write a ranked, defensible review queue.

Names are read in column batches and scored in chunks of a fixed size; each finished chunk is
committed to the work directory (icop/triage/workdir.py), so an interrupted run resumes where it
stopped and gives byte-identical output. Then ranks are computed over every chunk, the output is
written once, atomically, with the group ranking, the explanations of the best-ranked names and
the audit record beside it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from icop import __version__
from icop.io import streams
from icop.model.bundle import Bundle
from icop.model.calibration import DEFAULT_POINT
from icop.model.linear import LinearModel
from icop.scoring import BATCH
from icop.text.normalize import gc_paused
from icop.triage import output as queue
from icop.triage.audit import sha256_of_file, write_audit
from icop.triage.chunks import RAW_SCHEMA, RESULT_SCHEMA, ChunkScoring, chunks, score_chunks
from icop.triage.explanations import EXPLANATION_SUFFIX, write_explanations
from icop.triage.groups import write_groups
from icop.triage.workdir import TriageError, WorkDir, read_part


@dataclass(frozen=True)
class TriageOptions:
    """Everything that shapes a triage run's output (the keys are never stored or printed)."""

    threshold: str | float = DEFAULT_POINT
    top_k: int | None = None
    group_by: str | None = None
    id_column: str | None = None
    column: str | None = None
    errors: str = "replace"
    redact_key: bytes | None = field(default=None, repr=False)
    explain: int = 0
    chunk_size: int = BATCH
    workers: int = 1  # scoring processes (one per core); output is identical for any number

    def fingerprint(self) -> str:
        data = {k: v for k, v in asdict(self).items() if k not in ("redact_key", "workers")}
        data["redact"] = self.redact_key is not None
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def for_audit(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "redact_key"}, "redact": self.redact_key is not None}


@dataclass
class TriageSummary:
    names: int = 0
    flagged: int = 0
    keyword_names: int = 0
    seconds: float = 0.0
    read: streams.ReadStats = field(default_factory=streams.ReadStats)
    output: str = ""
    audit: str = ""
    groups: str | None = None
    explanations: str | None = None

    @property
    def names_per_second(self) -> float:
        return self.names / self.seconds if self.seconds else 0.0


def run(
    inputs: list[str],
    output: str,
    *,
    bundle: Bundle,
    options: TriageOptions = TriageOptions(),
    fmt: str | None = None,
    resume: bool = False,
    key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> TriageSummary:
    """Score ``inputs`` into ``output`` (``-``: stdout) with a verified bundle; ``key`` opens its
    hashed keyword lists. See the module docstring."""
    started = time.perf_counter()
    model = _triage_model(bundle)
    fmt = queue.output_format(output, fmt)
    _check_destination(output, fmt, resume, options)
    threshold, threshold_source = model.threshold(options.threshold)
    extra = tuple(c for c in (options.id_column, options.group_by) if c)
    summary = TriageSummary(output=output)
    batches = [streams.name_batches(source, options.column, options.errors, summary.read, extra) for source in inputs]
    input_digests = {source: sha256_of_file(source) for source in inputs if source != "-"}
    how = ChunkScoring(threshold, options.id_column, options.group_by, options.redact_key, keep_raw=options.explain > 0)
    schema = _part_schema(how)
    identity = {"options": options.fingerprint(), "inputs": input_digests, "bundle": bundle.digest, "icop": __version__}
    work = WorkDir(output, identity, schema)
    with work.locked(), gc_paused():
        done = work.resume_point() if resume else work.start_fresh()
        todo = ((i, chunk) for i, chunk in enumerate(chunks(inputs, batches, options.chunk_size)) if i >= done)
        for chunk_index, size, table in score_chunks(todo, model, key, how, options.workers):
            work.commit_chunk(chunk_index, table)
            gc.collect(1)  # young objects only: the automatic collector would walk every cache
            if progress:
                progress(size)
        parts = work.parts()
        summary.names, summary.flagged, summary.keyword_names = _counts(parts)
        ranked = queue.ranks(parts)
        queue.write(parts, output, fmt, ranked, options.top_k)
        if options.explain:
            summary.explanations = write_explanations(
                parts,
                ranked,
                options.explain,
                output + EXPLANATION_SUFFIX,
                model=model,
                key=key,
                threshold=options.threshold,
                bundle_digest=bundle.digest,
                redact_key=options.redact_key,
            )
        if options.group_by:
            summary.groups = write_groups(parts, output)
        summary.seconds = time.perf_counter() - started
        if output != "-":
            summary.audit = write_audit(
                output + ".audit.json",
                inputs=inputs,
                input_digests=input_digests,
                bundle_digest=bundle.digest,
                options=options.for_audit(),
                threshold=threshold,
                threshold_source=threshold_source,
                counts=_audit_counts(summary),
                seconds=summary.seconds,
                names_per_second=summary.names_per_second,
            )
        work.finish()
    return summary


def _triage_model(bundle: Bundle) -> LinearModel:
    if not isinstance(bundle.model, LinearModel):
        raise TriageError(f"{bundle.path}: a {bundle.model.kind} baseline cannot run triage; use an icop model")
    return bundle.model


def _check_destination(output: str, fmt: str, resume: bool, options: TriageOptions) -> None:
    if output == "-" and fmt == "parquet":
        raise TriageError("Parquet cannot go to stdout; give an output file")
    if output == "-" and resume:
        raise TriageError("--resume needs an output file (a run to stdout cannot be resumed)")
    if output == "-" and options.explain:
        raise TriageError("--explain writes beside the output file; give -o FILE")


def _part_schema(how: ChunkScoring):
    if not how.keep_raw:
        return RESULT_SCHEMA
    import pyarrow as pa

    return pa.schema(list(RESULT_SCHEMA) + list(RAW_SCHEMA))


def _counts(parts: list[Path]) -> tuple[int, int, int]:
    names = flagged = keyword_names = 0
    for part in parts:
        table = read_part(part, ["decision", "keyword_ids"])
        names += table.num_rows
        flagged += pc.sum(table.column("decision")).as_py() or 0
        keyword_names += pc.sum(pc.greater(pc.utf8_length(table.column("keyword_ids")), 0)).as_py() or 0
    return names, flagged, keyword_names


def _audit_counts(summary: TriageSummary) -> dict:
    return {
        "names": summary.names,
        "flagged": summary.flagged,
        "with_keyword_hits": summary.keyword_names,
        "lines_read": summary.read.lines,
        "skipped": summary.read.skipped,
        "truncated": summary.read.truncated,
        "invalid_utf8": summary.read.invalid_utf8,
        "fallback_decoded": summary.read.fallback_decoded,
    }
