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
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from icop import __version__
from icop.errors import InputError
from icop.io import streams, tables
from icop.model.bundle import Bundle
from icop.model.calibration import DEFAULT_POINT
from icop.model.linear import LinearModel
from icop.scoring import BATCH
from icop.text.normalize import gc_paused, release_token_caches
from icop.triage import output as queue
from icop.triage.audit import AUDIT_SUFFIX, STREAM, Digested, build_record, key_fingerprint, sha256_of_file, write_audit
from icop.triage.chunks import RAW_SCHEMA, RESULT_SCHEMA, Chunk, ChunkScoring, chunks, score_chunks
from icop.triage.explanations import EXPLANATION_SUFFIX, write_explanations
from icop.triage.groups import groups_path, write_groups
from icop.triage.workdir import ResumePoint, TriageError, WorkDir, read_part, remove_orphans


@dataclass(frozen=True)
class TriageOptions:
    """Everything that shapes a triage run's output (the keys are never stored or printed)."""

    threshold: str | float = DEFAULT_POINT
    top_k: int | None = None
    order: str = "rank"  # rank: the review queue, best first; input: the order names were read in
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
        return {**data, "redaction key": key_fingerprint(self.redact_key)}

    def for_audit(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "redact_key"}, "redact": self.redact_key is not None}


@dataclass(frozen=True)
class Destinations:
    """Where a run writes: the output and the files that go with it (its audit record, and the
    group ranking and explanations when asked for)."""

    output: str
    fmt: str
    stream: bool  # stdout, a device or a pipe: written directly, no rename, no resume
    audit: str
    groups: str | None = None
    groups_fmt: str | None = None
    explanations: str | None = None

    def files(self) -> list[str]:
        """The regular files written (the output unless it is a stream)."""
        found = [self.output] * (not self.stream) + [self.audit, self.groups, self.explanations]
        return [f for f in found if f]


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
    output_sha256: str = ""
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
    audit: str | None = None,
    groups_output: str | None = None,
    operator: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> TriageSummary:
    """Score ``inputs`` into ``output`` (``-``: stdout) with a verified bundle; ``key`` opens its
    hashed keyword lists. The audit record goes to ``audit`` (default: beside a file output; a
    stream output needs one named), the group ranking to ``groups_output`` (default: beside the
    output); ``operator`` is recorded in the audit (default: the user name). See the module
    docstring."""
    started = time.perf_counter()
    model = _triage_model(bundle)
    where = destinations(inputs, output, fmt=fmt, resume=resume, options=options, audit=audit, groups_output=groups_output)
    threshold, threshold_source = model.threshold(options.threshold)
    extra = tuple(c for c in (options.id_column, options.group_by) if c)
    summary = TriageSummary(output=output, bundle_digest=bundle.digest, audit=where.audit)
    batches = [streams.name_batches(source, options.column, options.errors, summary.read, extra) for source in inputs]
    input_digests = {source: sha256_of_file(source) for source in inputs if not streams.is_stream(source)}
    how = ChunkScoring(threshold, options.id_column, options.group_by, options.redact_key, keep_raw=options.explain > 0)
    schema = _part_schema(how)
    work = WorkDir(None if where.stream else output, _identity(inputs, input_digests, bundle, options, key), schema)
    with work.locked() as note, gc_paused(), arrow_on_system_malloc():
        summary.notes += [note] * bool(note)
        remove_orphans(where.files())
        start = work.resume_point() if resume else work.start_fresh()
        every = chunks(inputs, batches, options.chunk_size)
        _score_and_commit(work, start, every, summary.read, model=model, key=key, how=how, options=options, progress=progress)
        release_scoring_memory(model)
        parts = work.parts()
        summary.names, summary.flagged, summary.keyword_names = _counts(parts)
        ranked = queue.ranks(parts)
        with tables.committed_together():  # the output and its companions, or none of them
            summary.output_sha256 = queue.write(parts, output, where.fmt, ranked, top_k=options.top_k, order=options.order)
            companions = []
            if where.explanations:
                digest = write_explanations(
                    parts,
                    ranked,
                    options.explain,
                    where.explanations,
                    model=model,
                    key=key,
                    threshold=options.threshold,
                    bundle_digest=bundle.digest,
                    redact_key=options.redact_key,
                )
                summary.explanations = where.explanations
                companions.append(Digested(where.explanations, digest, "file", "jsonl", "explanations"))
            if where.groups:
                digest = write_groups(parts, where.groups, where.groups_fmt)
                summary.groups = where.groups
                companions.append(Digested(where.groups, digest, "file", where.groups_fmt, "groups"))
            summary.seconds = time.perf_counter() - started
            stream_digests = {s: d.state()["sha256"] for s, d in summary.read.streams.items()}
            record = build_record(
                where.audit,
                engine="icop triage",
                inputs=[
                    Digested(s, stream_digests[s], STREAM) if s in stream_digests else Digested(s, input_digests.get(s))
                    for s in inputs
                ],
                output=Digested(output, summary.output_sha256, STREAM if where.stream else "file", where.fmt),
                companions=companions,
                bundle_path=bundle.path,
                bundle_digest=bundle.digest,
                operator=operator,
                options=options.for_audit(),
                threshold=threshold,
                threshold_source=threshold_source,
                counts=_audit_counts(summary),
                seconds=summary.seconds,
                redaction_key=options.redact_key,
                keyword_key=key,
            )
            write_audit(where.audit, record)
        work.finish()
    return summary


@contextmanager
def arrow_on_system_malloc() -> Iterator[None]:
    """Arrow allocates from the C library's malloc during the run (then as before): its default,
    mimalloc, keeps tens of MB of the chunks' and windows' freed tables resident (docs/PERFORMANCE.md,
    "Memory")."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def release_scoring_memory(model: LinearModel) -> None:
    """Scoring is over: its per-token caches (the normaliser's, the model's subword encoder and
    keyword matcher) are emptied and Arrow's unused memory handed back before ranking and writing
    need memory of their own. The caches refill on demand (explanations), with the same results."""
    release_token_caches()
    model.release_caches()
    pa.default_memory_pool().release_unused()


def _identity(inputs: list[str], input_digests: dict, bundle: Bundle, options: TriageOptions, key: bytes | None) -> dict:
    """What a resumed run must share with the interrupted one (see WorkDir.resume_point)."""
    return {
        "options": options.shaping_output(),
        "input files": [[source, input_digests.get(source, "read as a stream")] for source in inputs],
        "model bundle": bundle.digest,
        "icop version": __version__,
        "keyword key": key_fingerprint(key),
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


def _triage_model(bundle: Bundle) -> LinearModel:
    if not isinstance(bundle.model, LinearModel):
        raise TriageError(f"{bundle.path}: a {bundle.model.kind} baseline cannot run triage; use an icop model")
    return bundle.model


def destinations(
    inputs: list[str],
    output: str,
    *,
    fmt: str | None,
    resume: bool,
    options: TriageOptions,
    audit: str | None = None,
    groups_output: str | None = None,
) -> Destinations:
    """Where a run will write, checked before any work: an output that would overwrite an input,
    a directory, an empty name, an unknown extension, companions a stream cannot have beside it."""
    if not output:
        raise InputError("the output name is empty; give a file name, or '-' for stdout")
    _check_no_input_overwritten(inputs, [output])
    fmt = queue.output_format(output, fmt)
    if output == "-" and fmt == "parquet":
        raise TriageError("Parquet cannot go to stdout; give an output file")
    if output.endswith(("/", os.sep)) or Path(output).is_dir():
        raise InputError(f"{output}: names a directory; give a file name, e.g. {Path(output) / 'queue.csv'}")
    stream = queue.is_stream(output)
    where = "stdout" if output == "-" else f"{output} (not a regular file)"
    if stream and resume:
        raise TriageError(f"--resume needs an output file (a run to {where} cannot be resumed)")
    if stream and options.explain:
        raise TriageError(f"--explain writes beside the output file, which {where} cannot have; give -o FILE")
    if stream and not audit:
        raise InputError(f"the output goes to {where}: give --audit FILE for the run's audit record (every run writes one)")
    if stream and options.group_by and not groups_output:
        raise InputError(f"--group-by with the output going to {where} needs --groups-output FILE")
    if groups_output and not options.group_by:
        raise InputError("--groups-output names the group ranking, which only --group-by COLUMN writes")
    for name, what in ((audit, "--audit"), (groups_output, "--groups-output")):
        if name is not None and (name == "-" or name.endswith(("/", os.sep)) or Path(name).is_dir()):
            raise InputError(f"{what} {name}: give the name of a file")
    groups = (groups_output or groups_path(output, fmt)) if options.group_by else None
    found = Destinations(
        output=output,
        fmt=fmt,
        stream=stream,
        audit=audit or output + AUDIT_SUFFIX,
        groups=groups,
        groups_fmt=queue.output_format(groups, None) if groups_output else fmt if groups else None,
        explanations=output + EXPLANATION_SUFFIX if options.explain else None,
    )
    _check_no_input_overwritten(inputs, found.files())
    return found


def _check_no_input_overwritten(inputs: list[str], written: list[str]) -> None:
    for source in inputs:
        for target in written:
            if source != "-" and Path(target).exists() and os.path.samefile(source, target):
                raise InputError(f"{source}: is an input and would be overwritten by {target}; choose another -o")
    if len({os.path.realpath(f) for f in written}) < len(written):
        raise InputError(
            f"two of the files this run writes are one ({', '.join(written)}); choose other --audit or --groups-output names"
        )


def _part_schema(how: ChunkScoring):
    if not how.keep_raw:
        return RESULT_SCHEMA
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
