"""The main job: score names in bounded memory and write a ranked, defensible review queue.

Work is done in chunks. Each finished chunk is written (atomically) to a work directory next to
the output, and a journal records how many input names it covered; after a crash, ``resume``
skips what the journal covers and goes on, so the final output is byte-identical to an
uninterrupted run. The final output is assembled from the chunks with ranks and written
atomically; the work directory is removed only after that. A lock file refuses a second run on
the same output. An audit record (JSON) beside the output ties the result to the bundle's
manifest hash, the inputs' SHA-256, the options and the counts.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.feather as feather
import pyarrow.parquet as pq

from icop import __version__, compiled, streams
from icop import tables as table_io
from icop.model import LinearModel
from icop.normalize import gc_paused
from icop.scorer import BATCH, BatchScorer

OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "parquet")
RESULT_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("line", pa.int64()),
        ("id", pa.string()),
        ("name", pa.string()),
        ("group", pa.string()),
        ("probability", pa.float64()),
        ("logit", pa.int64()),
        ("decision", pa.int8()),
        ("keyword_ids", pa.string()),
    ]
)
#: Chunk files are Arrow IPC (Feather v2), zstd: scratch space, written and read back fast.
PART_SUFFIX = ".arrow"
OUTPUT_COLUMNS = ("source", "line", "id", "name", "probability", "logit", "decision", "keyword_ids", "rank")


class TriageError(RuntimeError):
    """The run cannot go on (output not writable, lock held, resume mismatch...)."""


@dataclass(frozen=True)
class TriageOptions:
    threshold: str | float = "best_f1"
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
    top: list[tuple[str, int, int]] = field(default_factory=list)  # (source, line, rank) of the best-ranked names

    @property
    def names_per_second(self) -> float:
        return self.names / self.seconds if self.seconds else 0.0


def output_format(path: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if path == "-" or suffix not in OUTPUT_FORMATS:
        return "csv"
    return suffix


def run(
    inputs: list[str],
    output: str,
    model: LinearModel,
    bundle_digest: str,
    options: TriageOptions,
    fmt: str | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    key: bytes | None = None,
) -> TriageSummary:
    """Score ``inputs`` into ``output`` (``-``: stdout); see the module docstring."""
    started = time.perf_counter()
    fmt = output_format(output, fmt)
    if output == "-" and fmt == "parquet":
        raise TriageError("Parquet cannot go to stdout; give an output file")
    if output == "-" and resume:
        raise TriageError("--resume needs an output file (a run to stdout cannot be resumed)")
    threshold, threshold_source = model.threshold(options.threshold)
    extra = tuple(c for c in (options.id_column, options.group_by) if c)
    summary = TriageSummary()
    batches = [streams.name_batches(source, options.column, options.errors, summary.read, extra) for source in inputs]
    input_digests = {source: _sha256(source) for source in inputs if source != "-"}
    work = _WorkDir(output, options, input_digests, bundle_digest)
    with work.locked(), gc_paused():
        done = work.resume_point() if resume else work.start_fresh()
        todo = ((i, chunk) for i, chunk in enumerate(_chunks(inputs, batches, options.chunk_size)) if i >= done)
        for chunk_index, size, table in _score_chunks(todo, model, key, threshold, options):
            work.commit_chunk(chunk_index, table)
            gc.collect(1)  # young objects only: the automatic collector would walk every cache
            if progress:
                progress(size)
        parts = work.parts()
        summary.names, summary.flagged, summary.keyword_names = _counts(parts)
        _assemble(parts, output, fmt, options)
        if options.explain:
            top = _top_rows(parts, _ranks(parts), options.explain)
            summary.top = list(zip(*(top.column(c).to_pylist() for c in ("source", "line", "rank"))))
        if options.group_by:
            summary.groups = _write_groups(parts, output, fmt)
        summary.seconds = time.perf_counter() - started
        summary.output = output
        if output != "-":
            summary.audit = _write_audit(output, inputs, input_digests, bundle_digest, options, threshold, threshold_source, summary)
        work.finish()
    return summary


# --------------------------------------------------------------------------- scoring


@dataclass
class Chunk:
    """Consecutive names of the whole input, by column: the unit of scoring and of resuming."""

    sources: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    raws: list[str | bytes] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def extend(self, source: str, batch: streams.NameBatch) -> None:
        self.sources.extend(repeat(source, len(batch.texts)))
        for column, values in zip(self._columns()[1:], batch):
            column.extend(values)

    def split(self, size: int) -> tuple[Chunk, Chunk]:
        """(the first ``size`` names, the rest)."""
        columns = self._columns()
        return Chunk(*(c[:size] for c in columns)), Chunk(*(c[size:] for c in columns))

    def _columns(self) -> tuple[list, ...]:
        return self.sources, self.lines, self.texts, self.raws, self.fields


def _chunks(inputs: list[str], readers: list[Iterator[streams.NameBatch]], size: int) -> Iterator[Chunk]:
    """Name batches of every input, regrouped into chunks of exactly ``size`` names (the last
    may be shorter), so chunk boundaries depend only on the input and ``size``."""
    pending = Chunk()
    for source, batches in zip(inputs, readers):
        for batch in batches:
            pending.extend(source, batch)
            while len(pending) >= size:
                chunk, pending = pending.split(size)
                yield chunk
    if len(pending):
        yield pending


def _score_chunks(todo, model: LinearModel, key, threshold: int, options: TriageOptions) -> Iterator[tuple[int, int, pa.Table]]:
    """(index, size, scored table) of each chunk, in order; with several workers, at most two
    chunks per worker are in flight, so memory stays bounded."""
    if options.workers <= 1:
        scorer = BatchScorer(model, key)
        for index, chunk in todo:
            yield index, len(chunk), _score_chunk(chunk, scorer, threshold, options)
        return
    import multiprocessing
    from collections import deque

    global _WORKER_STATE
    _WORKER_STATE = (model, key, threshold, options)  # inherited by the forked workers
    # Workers are forked inside gc_paused(); each re-enables its collector (score() pauses it per batch).
    with multiprocessing.get_context("fork").Pool(options.workers, initializer=gc.enable) as pool:
        pending: deque = deque()
        for index, chunk in todo:
            pending.append((index, len(chunk), pool.apply_async(_score_in_worker, (chunk,))))
            if len(pending) >= 2 * options.workers:
                index, size, result = pending.popleft()
                yield index, size, result.get()
        while pending:
            index, size, result = pending.popleft()
            yield index, size, result.get()


_WORKER_STATE = None
_WORKER_SCORER = None


def _score_in_worker(chunk) -> pa.Table:
    global _WORKER_SCORER
    model, key, threshold, options = _WORKER_STATE
    if _WORKER_SCORER is None:
        _WORKER_SCORER = BatchScorer(model, key)
    return _score_chunk(chunk, _WORKER_SCORER, threshold, options)


def _score_chunk(chunk: Chunk, scorer: BatchScorer, threshold: int, options: TriageOptions) -> pa.Table:
    scored = scorer.score(chunk.raws)
    key = options.redact_key
    shown = chunk.texts if key is None else [_shown_name(text, key) for text in chunk.texts]
    return pa.Table.from_arrays(
        [
            pa.array(chunk.sources, pa.string()),
            pa.array(chunk.lines, pa.int64()),
            pa.array(_field(chunk, options.id_column), pa.string()),
            pa.array(shown, pa.string()),
            pa.array(_field(chunk, options.group_by), pa.string()),
            pa.array(scored.probabilities, pa.float64()),
            pa.array(scored.logits, pa.int64()),
            pa.array((scored.logits >= threshold).astype(np.int8), pa.int8()),
            pa.array([";".join(ids) for ids in scored.keyword_ids], pa.string()),
        ],
        schema=RESULT_SCHEMA,
    )


def _field(chunk: Chunk, column: str | None) -> list[str | None]:
    if column is None:
        return [None] * len(chunk)
    return [None if (value := fields.get(column)) is None else str(value) for fields in chunk.fields]


def _shown_name(text: str, key: bytes | None) -> str:
    """The name as written, or with --redact its keyed hash (the same name always hashes alike)."""
    if key is None:
        return text
    return "hmac:" + hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


# --------------------------------------------------------------------------- assembling


def _counts(parts: list[Path]) -> tuple[int, int, int]:
    names = flagged = keyword_names = 0
    for part in parts:
        table = _read_part(part, ["decision", "keyword_ids"])
        names += table.num_rows
        flagged += int(np.asarray(table.column("decision")).sum())
        keyword_names += pc.sum(pc.greater(pc.utf8_length(table.column("keyword_ids")), 0)).as_py() or 0
    return names, flagged, keyword_names


def _ranks(parts: list[Path]) -> np.ndarray:
    """Rank 1 = highest logit; ties keep input order. One int64 per name in memory."""
    logits = np.concatenate([np.asarray(_read_part(p, ["logit"]).column("logit")) for p in parts]) if parts else np.array([], np.int64)
    order = np.argsort(-logits, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def _assemble(parts: list[Path], output: str, fmt: str, options: TriageOptions) -> None:
    ranks = _ranks(parts)
    if options.top_k is not None:
        rows = _top_rows(parts, ranks, options.top_k)
        _write_output([rows], output, fmt)
        return
    _write_output(_ranked_parts(parts, ranks), output, fmt)


def _ranked_parts(parts: list[Path], ranks: np.ndarray) -> Iterator[pa.Table]:
    start = 0
    for part in parts:
        table = _read_part(part)
        table = table.append_column("rank", pa.array(ranks[start : start + table.num_rows], pa.int64()))
        start += table.num_rows
        yield table.select(list(OUTPUT_COLUMNS))


def _top_rows(parts: list[Path], ranks: np.ndarray, k: int) -> pa.Table:
    """The k best-ranked rows, in rank order (the review queue)."""
    wanted = ranks <= k
    tables = [t.filter(pa.array(wanted[s : s + t.num_rows])) for s, t in _with_starts(_ranked_parts(parts, ranks))]
    table = pa.concat_tables(tables) if tables else _empty_output()
    return table.sort_by([("rank", "ascending")])


def _with_starts(tables: Iterable[pa.Table]) -> Iterator[tuple[int, pa.Table]]:
    start = 0
    for table in tables:
        yield start, table
        start += table.num_rows


def _empty_output() -> pa.Table:
    return RESULT_SCHEMA.empty_table().append_column("rank", pa.array([], pa.int64())).select(list(OUTPUT_COLUMNS))


def _write_output(tables: Iterable[pa.Table], output: str, fmt: str) -> None:
    if output == "-":
        sys.stdout.flush()
        _write_text(tables, fmt, _stdout().buffer)
        _stdout().buffer.flush()
        return
    with table_io.atomic_path(output) as tmp:
        if fmt == "parquet":
            writer = None
            for table in tables:
                writer = writer or pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
            (writer or pq.ParquetWriter(tmp, _empty_output().schema)).close()
        else:
            with open(tmp, "wb") as handle:
                _write_text(tables, fmt, handle)


def _stdout():
    return sys.stdout  # looked up at call time, so that test runners can capture it


def _write_text(tables: Iterable[pa.Table], fmt: str, handle) -> None:
    """CSV/TSV through Arrow's C++ writer (header once, shortest round-trip floats), or JSONL."""
    if fmt == "jsonl":
        for table in tables:
            handle.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.to_pylist()).encode("utf-8"))
        return
    options = pa_csv.WriteOptions(delimiter="\t" if fmt == "tsv" else ",", quoting_style="needed")
    with pa_csv.CSVWriter(handle, _empty_output().schema, write_options=options) as writer:
        for table in tables:
            writer.write_table(table.select(list(OUTPUT_COLUMNS)))


def _write_groups(parts: list[Path], output: str, fmt: str) -> str:
    """Groups ranked by noisy-OR (1 - prod(1 - p)), with max, mean and flagged count."""
    stats: dict[str, list] = {}
    for part in parts:
        table = _read_part(part, ["group", "probability", "decision"])
        for group, p, flagged in zip(*(table.column(c).to_pylist() for c in ("group", "probability", "decision"))):
            s = stats.setdefault("" if group is None else group, [0, 0.0, 0.0, 0, 0.0])  # n, max, sum, flagged, log(1-p)
            s[0] += 1
            s[1] = max(s[1], p)
            s[2] += p
            s[3] += flagged
            s[4] += float(np.log1p(-min(p, 1 - 1e-15)))
    rows = [
        {"group": g, "names": n, "max": mx, "mean": total / n, "flagged": fl, "noisy_or": float(-np.expm1(log_not))}
        for g, (n, mx, total, fl, log_not) in stats.items()
    ]
    rows.sort(key=lambda r: (-r["noisy_or"], -r["max"], r["group"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    path = output if output != "-" else "groups"
    target = str(Path(path).with_name(Path(path).stem + ".groups.csv"))
    with table_io.atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["rank", "group", "names", "max", "mean", "flagged", "noisy_or"], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return target


# --------------------------------------------------------------------------- work directory


class _WorkDir:
    """Chunk files, the journal and the lock of one output."""

    def __init__(self, output: str, options: TriageOptions, digests: dict[str, str], bundle_digest: str):
        if output == "-":  # stdout runs cannot be resumed: a private temporary work directory
            base = Path(tempfile.mkdtemp(prefix="icop-triage-")) / "stdout"
        else:
            base = Path(output)
        self.path = base.with_name(base.name + ".icop-work")
        self.lock = base.with_name(base.name + ".icop-lock")
        self.identity = {"options": options.fingerprint(), "inputs": digests, "bundle": bundle_digest, "icop": __version__}

    @contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            raise TriageError(f"{self.lock}: another icop run is writing this output (or one crashed: remove the lock file)") from None
        except OSError as err:
            raise TriageError(f"{self.lock}: cannot create the lock ({err.strerror}); is the output directory writable?") from None
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        try:
            yield
        finally:
            self.lock.unlink(missing_ok=True)

    def start_fresh(self) -> int:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self._write_journal(0)
        return 0

    def resume_point(self) -> int:
        """The first chunk to score: after the journal's last entry, or earlier where a part file
        it lists is missing or unreadable (writes are not synced, so a power cut can tear them)."""
        try:
            state = json.loads((self.path / "journal.json").read_text())
        except (OSError, ValueError):
            return self.start_fresh()  # no journal, or a torn one: nothing to trust
        if state.get("identity") != self.identity:
            raise TriageError(f"{self.path}: the interrupted run used other inputs, options or model; rerun without --resume")
        done = 0
        while done < state["chunks"] and _readable_part(self._part(done)):
            done += 1
        for stale in self.path.glob("part-*" + PART_SUFFIX):
            if int(stale.stem.split("-")[1]) >= done:
                stale.unlink()  # written after the last trustworthy journal entry
        if done < state["chunks"]:
            self._write_journal(done)
        return done

    def commit_chunk(self, index: int, table: pa.Table) -> None:
        with table_io.atomic_path(self._part(index)) as tmp:
            feather.write_feather(table, tmp, compression="zstd")
        self._write_journal(index + 1)

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*" + PART_SUFFIX))

    def _part(self, index: int) -> Path:
        return self.path / f"part-{index:06d}{PART_SUFFIX}"

    def finish(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self.path.parent.name.startswith("icop-triage-"):
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def _write_journal(self, chunks: int) -> None:
        with table_io.atomic_path(self.path / "journal.json") as tmp:
            tmp.write_text(json.dumps({"identity": self.identity, "chunks": chunks}, sort_keys=True))


# --------------------------------------------------------------------------- audit


def _readable_part(path: Path) -> bool:
    try:
        with pa.ipc.open_file(path) as reader:
            return reader.schema.equals(RESULT_SCHEMA)
    except (OSError, pa.ArrowException):
        return False


def _read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    return feather.read_table(path, columns=columns, memory_map=False)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_audit(output, inputs, digests, bundle_digest, options, threshold, threshold_source, summary) -> str:
    record = {
        "icop_version": __version__,
        "compiled_drivers": compiled.fastpath is not None,  # identical results either way
        "bundle_manifest_sha256": bundle_digest,
        "inputs": [{"path": source, "sha256": digests.get(source)} for source in inputs],
        "output": output,
        "options": {
            **{k: v for k, v in asdict(options).items() if k != "redact_key"},
            "redact": options.redact_key is not None,
        },
        "threshold": {"logit": threshold, "source": threshold_source},
        "counts": {
            "names": summary.names,
            "flagged": summary.flagged,
            "with_keyword_hits": summary.keyword_names,
            "lines_read": summary.read.lines,
            "skipped": summary.read.skipped,
            "truncated": summary.read.truncated,
            "invalid_utf8": summary.read.invalid_utf8,
            "fallback_decoded": summary.read.fallback_decoded,
        },
        "seconds": round(summary.seconds, 3),
        "names_per_second": round(summary.names_per_second),
    }
    target = output + ".audit.json"
    with table_io.atomic_path(target) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    return target


