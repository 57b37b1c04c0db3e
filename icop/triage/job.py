"""The main job: score names in bounded memory and write a ranked, defensible review queue.

Names are read in column batches and scored in chunks of a fixed size; each finished chunk is
committed to the work directory (icop/triage/workdir.py), so an interrupted run resumes where it
stopped and gives byte-identical output (the journal pins the inputs, the options, the keys and
the model, and refuses a resume with any of them changed). Then ranks are computed over every
chunk, and the output is written once with the group ranking, the explanations of the
best-ranked names and the audit record beside it, all committed together or not at all.

Everything about the destination and the inputs is checked before any work: an output that
would overwrite an input, a directory, an empty name. A device or a pipe as output (``-o
/dev/null``, a FIFO) is written directly, like stdout, never replaced by a file.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from icop import __version__
from icop.errors import InputError
from icop.io import streams, tables
from icop.keywords.hashing import key_check_value
from icop.model.bundle import Bundle
from icop.model.calibration import DEFAULT_POINT
from icop.model.linear import LinearModel
from icop.scoring import BATCH
from icop.text.normalize import gc_paused
from icop.triage import output as queue
from icop.triage.audit import AUDIT_SUFFIX, sha256_of_file, write_audit
from icop.triage.chunks import RAW_SCHEMA, RESULT_SCHEMA, Chunk, ChunkScoring, chunks, score_chunks
from icop.triage.explanations import EXPLANATION_SUFFIX, write_explanations
from icop.triage.groups import groups_path, write_groups
from icop.triage.workdir import ResumePoint, TriageError, WorkDir, read_part, remove_orphans


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

    def shaping_output(self) -> dict:
        """The options that change the output's bytes, by their command-line names (the
        redaction key only as a keyed fingerprint)."""
        data = {f"--{k.replace('_', '-')}": v for k, v in asdict(self).items() if k not in ("redact_key", "workers")}
        return {**data, "redaction key": _key_fingerprint(self.redact_key)}

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
    bundle_digest: str = ""  # SHA-256 of the bundle's manifest: the model that scored
    notes: list[str] = field(default_factory=list)  # things the user should know (a lock taken over...)

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
    to_stream = _check_destination(inputs, output, fmt, resume, options)
    threshold, threshold_source = model.threshold(options.threshold)
    extra = tuple(c for c in (options.id_column, options.group_by) if c)
    summary = TriageSummary(output=output, bundle_digest=bundle.digest)
    batches = [streams.name_batches(source, options.column, options.errors, summary.read, extra) for source in inputs]
    input_digests = {source: sha256_of_file(source) for source in inputs if not streams.is_stream(source)}
    how = ChunkScoring(threshold, options.id_column, options.group_by, options.redact_key, keep_raw=options.explain > 0)
    schema = _part_schema(how)
    work = WorkDir(None if to_stream else output, _identity(inputs, input_digests, bundle, options, key), schema)
    with work.locked() as note, gc_paused():
        summary.notes += [note] * bool(note)
        if not to_stream:
            remove_orphans(_written_files(output, options))
        start = work.resume_point() if resume else work.start_fresh()
        every = chunks(inputs, batches, options.chunk_size)
        _score_and_commit(work, start, every, summary.read, model=model, key=key, how=how, options=options, progress=progress)
        parts = work.parts()
        summary.names, summary.flagged, summary.keyword_names = _counts(parts)
        ranked = queue.ranks(parts)
        with tables.committed_together():  # the output and its companions, or none of them
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
            if not to_stream:
                summary.audit = write_audit(
                    output + AUDIT_SUFFIX,
                    inputs=inputs,
                    input_digests=input_digests | {s: d.state()["sha256"] for s, d in summary.read.streams.items()},
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


def _identity(inputs: list[str], input_digests: dict, bundle: Bundle, options: TriageOptions, key: bytes | None) -> dict:
    """What a resumed run must share with the interrupted one (see WorkDir.resume_point)."""
    return {
        "options": options.shaping_output(),
        "input files": [[source, input_digests.get(source, "read as a stream")] for source in inputs],
        "model bundle": bundle.digest,
        "icop version": __version__,
        "keyword key": _key_fingerprint(key),
    }


def _score_and_commit(
    work: WorkDir,
    start: ResumePoint,
    every: Iterator[Chunk],
    read: streams.ReadStats,
    *,
    model: LinearModel,
    key: bytes | None,
    how: ChunkScoring,
    options: TriageOptions,
    progress: Callable[[int], None] | None,
) -> None:
    """Score and commit every chunk after the resume point."""
    cut_at: dict[int, dict] = {}
    todo = _chunks_after(start, every, read, cut_at)
    for chunk_index, size, table in score_chunks(todo, model, key, how, options.workers):
        work.commit_chunk(chunk_index, table, cut_at.pop(chunk_index))
        gc.collect(1)  # young objects only: the automatic collector would walk every cache
        if progress:
            progress(size)


def _chunks_after(
    start: ResumePoint, every: Iterator[Chunk], read: streams.ReadStats, cut_at: dict
) -> Iterator[tuple[int, Chunk]]:
    """(index, chunk) from the resume point on; ``cut_at[index]`` is how far stream inputs had
    been read when the chunk was cut. Where the interrupted run stopped, the streams must have
    given the very same bytes (count and SHA-256), or the run stops before scoring anything."""
    index = -1
    for index, chunk in enumerate(every):
        position = {source: digest.state() for source, digest in read.streams.items()}
        if index == start.chunks - 1 and position != start.streams:
            raise TriageError(
                f"{_stream_names(position)}: not the input of the interrupted run (other bytes); rerun without --resume"
            )
        if index >= start.chunks:
            cut_at[index] = position
            yield index, chunk
    if index < start.chunks - 1:
        raise TriageError(
            f"{_stream_names(start.streams)}: ends before the point the interrupted run had reached; rerun without --resume"
        )


def _stream_names(position: dict) -> str:
    return ", ".join("stdin" if source == "-" else source for source in position) or "the inputs"


def _key_fingerprint(key: bytes | None) -> str | None:
    """A keyed fingerprint that tells keys apart without disclosing them."""
    return None if key is None else key_check_value(key)


def _triage_model(bundle: Bundle) -> LinearModel:
    if not isinstance(bundle.model, LinearModel):
        raise TriageError(f"{bundle.path}: a {bundle.model.kind} baseline cannot run triage; use an icop model")
    return bundle.model


def _check_destination(inputs: list[str], output: str, fmt: str, resume: bool, options: TriageOptions) -> bool:
    """Checks the output before any work; True when it is a stream (stdout, a device, a pipe),
    written directly: no rename, no resume, nothing beside it."""
    if not output:
        raise InputError("the output name is empty; give a file name, or '-' for stdout")
    if output == "-" and fmt == "parquet":
        raise TriageError("Parquet cannot go to stdout; give an output file")
    if output.endswith(("/", os.sep)) or Path(output).is_dir():
        raise InputError(f"{output}: names a directory; give a file name, e.g. {Path(output) / 'queue.csv'}")
    to_stream = queue.is_stream(output)
    where = "stdout" if output == "-" else f"{output} (not a regular file)"
    if to_stream and resume:
        raise TriageError(f"--resume needs an output file (a run to {where} cannot be resumed)")
    if to_stream and options.explain:
        raise TriageError(f"--explain writes beside the output file, which {where} cannot have; give -o FILE")
    if to_stream and options.group_by and output != "-":
        raise TriageError(f"--group-by writes beside the output file, which {where} cannot have; give -o FILE")
    for source in inputs:
        for target in _written_files(output, options):
            if source != "-" and Path(target).exists() and os.path.samefile(source, target):
                raise InputError(f"{source}: is an input and would be overwritten by {target}; choose another -o")
    return to_stream


def _written_files(output: str, options: TriageOptions) -> list[str]:
    """Every file a run writes: the output, its audit record and what --explain and --group-by add."""
    if queue.is_stream(output):
        return [output]
    return (
        [output, output + AUDIT_SUFFIX]
        + [output + EXPLANATION_SUFFIX] * bool(options.explain)
        + [groups_path(output)] * bool(options.group_by)
    )


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
        "malformed_rows": summary.read.malformed,
    }
