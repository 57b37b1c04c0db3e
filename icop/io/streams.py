"""Reading names from files and streams: the one place icop touches input bytes.

Formats, by extension: plain text (one name per line; the default, and stdin), ``.csv`` and
``.tsv`` (a header row; ``column`` picks the name column), ``.jsonl`` and ``.parquet`` (``column``
picks the field). Parquet is read in record batches, everything else line by line.

Lines are read as bytes, in bounded chunks, so that a malformed line is reported with its
number instead of killing the run, and so that memory does not grow with the input.
Policies for bad lines (``errors``):

* ``replace`` (default): decode with the legacy code-page fallback, invalid bytes become
  U+FFFD and are counted; the name is kept.
* ``skip``: the line is reported (file and line number) and left out of the output.
* ``strict``: the run stops with an error naming the file and line.

Names longer than :data:`MAX_NAME_CHARS` characters are truncated and counted.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO, NamedTuple

from icop.errors import InputError
from icop.features.definition import FeatureSpace
from icop.text.decoding import decode

#: Longest name kept, in characters (the feature definition's truncation; real filenames stop
#: at 255 bytes on most file systems).
MAX_NAME_CHARS = FeatureSpace.MAX_NAME_CHARS
#: Bytes read per line before truncating (4 bytes per character at most in UTF-8).
MAX_LINE_BYTES = 4 * MAX_NAME_CHARS
ERROR_POLICIES = ("replace", "skip", "strict")
CHUNK_BYTES = 1 << 20
CHUNK_ROWS = 1 << 16


@dataclass
class ReadStats:
    lines: int = 0
    invalid_utf8: int = 0
    skipped: int = 0
    truncated: int = 0
    fallback_decoded: int = 0
    problems: list[str] = field(default_factory=list)  # one line each, for stderr


class Name(NamedTuple):
    line: int  # line or row number in its source
    text: str  # decoded
    raw: str | bytes  # what normalisation should see: the bytes when they were not UTF-8
    fields: dict = {}  # other columns asked for (tables only; never mutated)


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """``-`` is stdin; anything else must be a readable file (checked before any work)."""
    if path == "-":
        yield sys.stdin.buffer
        return
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file; check the path")
    try:
        handle = p.open("rb")
    except OSError as err:
        raise InputError(f"{path}: cannot open ({err.strerror}); check permissions") from err
    with handle:
        yield handle


TABLE_FORMATS = (".csv", ".tsv", ".jsonl", ".parquet")


class NameBatch(NamedTuple):
    """Consecutive names of one source, column by column (for consumers that work in batches)."""

    lines: list[int]
    texts: list[str]
    raws: list[str | bytes]
    fields: list[dict]  # per name; empty dicts unless extra columns were asked for


def names_from(
    source: str,
    column: str | None = None,
    errors: str = "replace",
    stats: ReadStats | None = None,
    extra: tuple[str, ...] = (),
) -> Iterator[Name]:
    """Names from a file of any supported format (or ``-``: text on stdin); ``line`` is the row
    number. ``extra`` columns (tables only) come along in ``Name.fields``.

    The file, its format and its columns are checked here, before any name is read, so that a
    bad input fails before any work is done.
    """
    return chain.from_iterable(map(_names_of, name_batches(source, column, errors, stats, extra)))


def names_of_all(
    sources: Sequence[str], column: str | None = None, errors: str = "replace", stats: ReadStats | None = None
) -> Iterator[tuple[str, Name]]:
    """(source, name) of every input in turn; all inputs are opened and checked (file, format,
    column) before the first name is read."""
    readers = [(source, names_from(source, column, errors, stats)) for source in sources]
    return ((source, name) for source, reader in readers for name in reader)


def name_batches(
    source: str,
    column: str | None = None,
    errors: str = "replace",
    stats: ReadStats | None = None,
    extra: tuple[str, ...] = (),
) -> Iterator[NameBatch]:
    """:func:`names_from` a batch at a time (plain text: a clean block of lines at once)."""
    stats = stats if stats is not None else ReadStats()
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if source != "-" and not Path(source).is_file():
        raise InputError(f"{source}: no such file; check the path")
    column = column or "text"
    if suffix == ".parquet":
        parquet = _open_parquet(source, (column, *extra))
        rows = _parquet_rows(parquet, (column, *extra))
    elif suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        _check_header(source, (column, *extra), sep)
        rows = _delimited_rows(source, (column, *extra), sep)
    elif suffix == ".jsonl":
        rows = _jsonl_rows(source, (column, *extra))
    elif extra:
        raise InputError(f"{source}: columns {list(extra)} need a CSV, TSV, JSONL or Parquet input")
    else:
        _check_policy(errors)
        return _text_batches(source, errors, stats)
    named = _named_rows(rows, source, column, extra, errors, stats)
    return map(_batch_of, iter(lambda: tuple(islice(named, CHUNK_ROWS)), ()))


def _names_of(batch: NameBatch) -> Iterator[Name]:
    return map(Name, batch.lines, batch.texts, batch.raws, batch.fields)


def _batch_of(names: tuple[Name, ...]) -> NameBatch:
    return NameBatch(*map(list, zip(*names)))


def _text_batches(source: str, errors: str, stats: ReadStats) -> Iterator[NameBatch]:
    with open_input(source) as handle:
        yield from _stream_batches(handle, source, errors, stats)


def _named_rows(rows, source: str, column: str, extra: tuple[str, ...], errors: str, stats: ReadStats) -> Iterator[Name]:
    for number, values in rows:
        stats.lines += 1
        value = values[0]
        if value is None:
            stats.problems.append(f"{source}:{number}: no {column!r} value; row left out")
            stats.skipped += 1
            continue
        if not isinstance(value, str):
            value = str(value)
        name = _decode_line(value.encode("utf-8", "surrogatepass"), number, source, errors, stats)
        if name is not None:
            yield Name(name.line, name.text, name.raw, dict(zip(extra, values[1:])) if extra else {})


def _open_parquet(source: str, columns: tuple[str, ...]):
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
    except (OSError, ValueError) as err:
        raise InputError(f"{source}: not a readable Parquet file ({err})") from err
    missing = [c for c in columns if c not in parquet.schema_arrow.names]
    if missing:
        raise InputError(f"{source}: no column {missing[0]!r} (it has {parquet.schema_arrow.names}); use --column")
    return parquet


def _parquet_rows(parquet, columns: tuple[str, ...]) -> Iterator[tuple[int, list]]:
    number = 0
    for batch in parquet.iter_batches(columns=list(columns), batch_size=CHUNK_ROWS):
        for values in zip(*(batch.column(i).to_pylist() for i in range(len(columns)))):
            number += 1
            yield number, list(values)


def _jsonl_rows(source: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list]]:
    with open_input(source) as handle:
        for number, line in enumerate(_lines(handle), 1):
            if not line.strip():
                yield number, [None] * len(columns)
                continue
            try:
                row = json.loads(line.decode("utf-8", "replace"))
                values = [row.get(c) for c in columns]
            except (json.JSONDecodeError, AttributeError) as err:
                raise InputError(f"{source}:{number}: not a JSON object ({err}); fix the line") from err
            yield number, values


def _delimited_rows(source: str, columns: tuple[str, ...], sep: str) -> Iterator[tuple[int, list]]:
    with open(source, encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        header = next(reader)
        indexes = [header.index(c) for c in columns]
        for number, row in enumerate(reader, 2):
            yield number, [row[i] if i < len(row) else None for i in indexes]


def _check_header(source: str, columns: tuple[str, ...], sep: str) -> None:
    with open(source, encoding="utf-8", errors="replace", newline="") as handle:
        header = next(csv.reader(handle, delimiter=sep), None)
    for column in columns:
        if header is None or column not in header:
            raise InputError(f"{source}:1: no column {column!r} in the header {header}; use --column")


def read_names(stream: BinaryIO, source: str, errors: str = "replace", stats: ReadStats | None = None) -> Iterator[Name]:
    """Names from a one-name-per-line stream; blank lines are kept as empty names."""
    _check_policy(errors)
    stats = stats if stats is not None else ReadStats()
    return chain.from_iterable(map(_names_of, _stream_batches(stream, source, errors, stats)))


def _check_policy(errors: str) -> None:
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}")


def _stream_batches(stream: BinaryIO, source: str, errors: str, stats: ReadStats) -> Iterator[NameBatch]:
    number = 0
    for block, whole_lines in _blocks(stream):
        texts = _clean_block(block) if whole_lines else None
        if texts is not None:
            stats.lines += len(texts)
            yield NameBatch(list(range(number + 1, number + 1 + len(texts))), texts, texts, [{}] * len(texts))
            number += len(texts)
            continue
        names = []
        for data in map(_cut_line, block.split(b"\n")) if whole_lines else [block]:
            number += 1
            stats.lines += 1
            name = _decode_line(data, number, source, errors, stats)
            if name is not None:
                names.append(name)
        if names:
            yield _batch_of(names)


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines without their terminator; an over-long line is cut at MAX_LINE_BYTES + 1 bytes."""
    for block, whole_lines in _blocks(stream):
        yield from map(_cut_line, block.split(b"\n")) if whole_lines else [block]


def _blocks(stream: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """(bytes, True): whole lines joined by newlines, up to one read's worth; (bytes, False): the
    start of an over-long line, already cut at MAX_LINE_BYTES + 1 bytes (the rest is skipped)."""
    pending = b""
    while chunk := stream.read(CHUNK_BYTES):
        pending += chunk
        end = pending.rfind(b"\n")
        if end >= 0:
            yield pending[:end], True
            pending = pending[end + 1 :]
        if len(pending) > MAX_LINE_BYTES:
            yield pending[: MAX_LINE_BYTES + 1], False
            pending = _discard_rest_of_line(stream)
    if pending:
        yield pending, True


def _cut_line(line: bytes) -> bytes:
    return line[: MAX_LINE_BYTES + 1].removesuffix(b"\r")


def _clean_block(block: bytes) -> list[str] | None:
    """The names of a block in one go when it is valid UTF-8 without over-long lines (the common
    case); None sends it line by line through the checks."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    texts = text.split("\n")
    if "\r" in text:
        texts = [t.removesuffix("\r") for t in texts]
    return texts if max(map(len, texts)) <= MAX_NAME_CHARS else None


def _discard_rest_of_line(stream: BinaryIO) -> bytes:
    while chunk := stream.read(CHUNK_BYTES):
        newline = chunk.find(b"\n")
        if newline >= 0:
            return chunk[newline + 1 :]
    return b""


def _decode_line(data: bytes, number: int, source: str, errors: str, stats: ReadStats) -> Name | None:
    if len(data) <= MAX_NAME_CHARS:  # the common case: short and (usually) valid
        try:
            text = data.decode("utf-8")
            return Name(number, text, text)
        except UnicodeDecodeError:
            pass
    truncated = len(data) > MAX_LINE_BYTES
    data = data[:MAX_LINE_BYTES]
    raw: str | bytes
    try:
        text = raw = data.decode("utf-8")
    except UnicodeDecodeError as err:
        if truncated and err.start >= len(data) - 3:
            text = raw = data[: err.start].decode("utf-8")  # the cut fell inside a character
        else:
            text = _bad_utf8(data, err, number, source, errors, stats)
            if text is None:
                return None
            raw = data
    if truncated or len(text) > MAX_NAME_CHARS:
        stats.truncated += 1
        stats.problems.append(f"{source}:{number}: name longer than {MAX_NAME_CHARS} characters, truncated")
        text = text[:MAX_NAME_CHARS]
        raw = text if isinstance(raw, str) else raw[:MAX_NAME_CHARS]
    return Name(number, text, raw)


def _bad_utf8(data: bytes, err: UnicodeDecodeError, number: int, source: str, errors: str, stats: ReadStats) -> str | None:
    where = f"{source}:{number}: invalid UTF-8 at byte {err.start}"
    if errors == "strict":
        raise InputError(f"{where}; fix the file or rerun with --errors replace or --errors skip")
    if errors == "skip":
        stats.skipped += 1
        stats.problems.append(f"{where}; line skipped")
        return None
    decoded = decode(data)
    if decoded.invalid_bytes:
        stats.invalid_utf8 += 1
        stats.problems.append(f"{where}; {decoded.invalid_bytes} bytes replaced")
    else:
        stats.fallback_decoded += 1
        stats.problems.append(f"{where}; decoded as {decoded.codec}")
    return decoded.text
