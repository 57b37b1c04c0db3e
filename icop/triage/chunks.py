"""Chunks: consecutive names of the whole input, by column; the unit of scoring and of resuming.

A chunk is scored into an Arrow table of :data:`RESULT_SCHEMA`. With several workers, chunks are
scored in forked processes, at most two per worker in flight, and come back in order, so the
output is identical for any number of workers.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import signal
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pyarrow as pa

from icop.io import streams
from icop.model.linear import LinearModel
from icop.scoring import BatchScorer

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
#: Kept in chunk files (never in the output) when explanations are asked for: what was scored.
RAW_SCHEMA = pa.schema([("raw_text", pa.string()), ("raw_bytes", pa.binary())])


@dataclass
class Chunk:
    """Consecutive names of the whole input, by column."""

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


def chunks(inputs: list[str], readers: list[Iterator[streams.NameBatch]], size: int) -> Iterator[Chunk]:
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


@dataclass(frozen=True)
class ChunkScoring:
    """What scoring a chunk needs besides the model (the same in every worker)."""

    threshold: int
    id_column: str | None = None
    group_by: str | None = None
    redact_key: bytes | None = field(default=None, repr=False)
    keep_raw: bool = False  # for explanations written after the run


def score_chunks(
    todo, model: LinearModel, key: bytes | None, how: ChunkScoring, workers: int
) -> Iterator[tuple[int, int, pa.Table]]:
    """(index, size, scored table) of each chunk of ``todo`` (index, chunk), in order."""
    if workers <= 1:
        scorer = BatchScorer(model, key)
        for index, chunk in todo:
            yield index, len(chunk), score_chunk(chunk, scorer, how)
        return
    import multiprocessing

    global _WORKER_STATE
    _WORKER_STATE = (model, key, how)  # inherited by the forked workers
    with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
        pending: deque = deque()
        for index, chunk in todo:
            pending.append((index, len(chunk), pool.apply_async(_score_in_worker, (chunk,))))
            if len(pending) >= 2 * workers:
                index, size, result = pending.popleft()
                yield index, size, result.get()
        while pending:
            index, size, result = pending.popleft()
            yield index, size, result.get()


_WORKER_STATE = None
_WORKER_SCORER = None


def _start_worker() -> None:
    # Workers are forked inside gc_paused(); each re-enables its collector (score() pauses it per
    # batch). They die by SIGTERM when the pool ends: the parent's handler would make them linger.
    gc.enable()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _score_in_worker(chunk: Chunk) -> pa.Table:
    global _WORKER_SCORER
    model, key, how = _WORKER_STATE
    if _WORKER_SCORER is None:
        _WORKER_SCORER = BatchScorer(model, key)
    return score_chunk(chunk, _WORKER_SCORER, how)


def score_chunk(chunk: Chunk, scorer: BatchScorer, how: ChunkScoring) -> pa.Table:
    scored = scorer.score(chunk.raws)
    key = how.redact_key
    shown = chunk.texts if key is None else [shown_name(text, key) for text in chunk.texts]
    table = pa.Table.from_arrays(
        [
            pa.array(chunk.sources, pa.string()),
            pa.array(chunk.lines, pa.int64()),
            pa.array(_field(chunk, how.id_column), pa.string()),
            pa.array(shown, pa.string()),
            pa.array(_field(chunk, how.group_by), pa.string()),
            pa.array(scored.probabilities, pa.float64()),
            pa.array(scored.logits, pa.int64()),
            pa.array((scored.logits >= how.threshold).astype(np.int8), pa.int8()),
            pa.array([";".join(ids) for ids in scored.keyword_ids], pa.string()),
        ],
        schema=RESULT_SCHEMA,
    )
    if how.keep_raw:
        table = table.append_column("raw_text", pa.array([r if isinstance(r, str) else None for r in chunk.raws], pa.string()))
        table = table.append_column("raw_bytes", pa.array([r if isinstance(r, bytes) else None for r in chunk.raws], pa.binary()))
    return table


def _field(chunk: Chunk, column: str | None) -> list[str | None]:
    if column is None:
        return [None] * len(chunk)
    return [None if (value := fields.get(column)) is None else str(value) for fields in chunk.fields]


def shown_name(text: str, key: bytes | None) -> str:
    """The name as written, or with --redact its keyed hash (the same name always hashes alike)."""
    if key is None:
        return text
    return "hmac:" + hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]
