"""Reading names from files and streams: the one place icop touches input bytes.

Formats, by extension: plain text (one name per line; the default, and stdin), ``.csv`` and
``.tsv`` (a header row; ``column`` picks the name column), ``.jsonl`` and ``.parquet`` (``column``
picks the field). Parquet is read in record batches, everything else line by line.

Every text format is read the same way: as bytes, in bounded chunks, so that memory does not
grow with the input; a byte-order mark is honoured (UTF-8's dropped, UTF-16/32 decoded);
``\\r\\n``, ``\\n`` and a lone ``\\r`` all end a line. One row of a table is one line: a quote that
is not closed on its line is a malformed row, never a reason to read the next line into it.

One policy (``errors``) for names that are not valid UTF-8, in every format, and for rows that
cannot be parsed (an unclosed quote, a JSON line that is not an object, a name that is not text):

* ``replace`` (default): a name is decoded with the legacy code-page fallback, invalid bytes
  become U+FFFD and are counted, and the name is kept; a malformed row is reported and left out.
* ``skip``: the line or row is reported (file and line number) and left out.
* ``strict``: the run stops with an error naming the file and line.

Every row read is accounted for: ``ReadStats.lines`` = names yielded + ``ReadStats.skipped``.
Names longer than :data:`MAX_NAME_CHARS` characters are truncated and counted.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from icop.errors import InputError
from icop.features.definition import FeatureSpace
from icop.text.decoding import decode, sniff_bom

#: Longest name kept, in characters (the feature definition's truncation; real filenames stop
#: at 255 bytes on most file systems).
MAX_NAME_CHARS = FeatureSpace.MAX_NAME_CHARS
#: Bytes read per line of plain text before truncating (4 bytes per character at most in UTF-8).
MAX_LINE_BYTES = 4 * MAX_NAME_CHARS
#: Longest row of a CSV, TSV or JSONL table: a row holds other columns besides the name, so it
#: may be far longer than a name. A longer row is rejected (reported), never cut.
MAX_ROW_BYTES = 1 << 23
ERROR_POLICIES = ("replace", "skip", "strict")
CHUNK_BYTES = 1 << 20
CHUNK_ROWS = 1 << 16
#: Problems kept word for word; the rest are counted by kind, so memory stays bounded.
KEPT_PROBLEMS = 20
TABLE_FORMATS = (".csv", ".tsv", ".jsonl", ".parquet")


class StreamDigest:
    """The bytes read so far from a stream input (stdin, a pipe): their count and running SHA-256."""

    def __init__(self):
        self.count = 0
        self._sha256 = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self.count += len(data)
        self._sha256.update(data)

    def state(self) -> dict:
        return {"bytes": self.count, "sha256": self._sha256.hexdigest()}


@dataclass
class ReadStats:
    lines: int = 0  # rows read, in every input: names yielded + skipped
    invalid_utf8: int = 0
    skipped: int = 0  # rows left out (bad UTF-8 with --errors skip, no value, malformed)
    truncated: int = 0
    fallback_decoded: int = 0
    malformed: int = 0  # rows that could not be parsed (also counted in skipped)
    problems: list[str] = field(default_factory=list)  # the first KEPT_PROBLEMS, one line each
    unreported: Counter = field(default_factory=Counter)  # problems beyond those, by kind
    streams: dict[str, StreamDigest] = field(default_factory=dict)  # stream inputs read so far

    def report(self, kind: str, message: str) -> None:
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(message)
        else:
            self.unreported[kind] += 1

    def more(self) -> str:
        """How many problems were not kept, and of which kinds ('' when none)."""
        if not self.unreported:
            return ""
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.unreported.items()))
        return f"{sum(self.unreported.values())} more ({kinds})"


class Name(NamedTuple):
    line: int  # line or row number in its source
    text: str  # decoded
    raw: str | bytes  # what normalisation should see: the bytes when they were not UTF-8
    fields: dict = {}  # other columns asked for (tables only; never mutated)


class NameBatch(NamedTuple):
    """Consecutive names of one source, column by column (for consumers that work in batches)."""

    lines: list[int]
    texts: list[str]
    raws: list[str | bytes]
    fields: list[dict]  # per name; empty dicts unless extra columns were asked for


# --------------------------------------------------------------------------- opening inputs


def is_stream(source: str) -> bool:
    """Stdin, a pipe or a device: read once, front to back (no digest of the whole beforehand)."""
    return source == "-" or not stat.S_ISREG(os.stat(source).st_mode)


def check_source(source: str) -> None:
    """A readable input (file, pipe, device or ``-``), checked before any work."""
    if source == "-":
        return
    try:
        mode = os.stat(source).st_mode
    except FileNotFoundError:
        raise InputError(f"{source}: no such file; check the path") from None
    except OSError as err:
        raise InputError(f"{source}: cannot read ({err.strerror}); check the path and permissions") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{source}: is a directory; give the files in it")
    if not os.access(source, os.R_OK):
        raise InputError(f"{source}: cannot open (permission denied); check permissions")


@contextmanager
def open_input(path: str, stats: ReadStats | None = None) -> Iterator[BinaryIO]:
    """The bytes of an input as UTF-8 or legacy bytes: ``-`` is stdin; a byte-order mark is
    dropped (UTF-16/32 are decoded to UTF-8). Stream inputs are digested as they are read."""
    check_source(path)
    with ExitStack() as stack:
        if path == "-":
            handle = sys.stdin.buffer
        else:
            try:
                handle = stack.enter_context(open(path, "rb"))
            except OSError as err:
                raise InputError(f"{path}: cannot open ({err.strerror}); check permissions") from err
        if stats is not None and is_stream(path):
            handle = _Tapped(handle, stats.streams.setdefault(path, StreamDigest()))
        yield without_bom(handle)


class _Tapped:
    """A stream whose bytes are digested as they are read."""

    def __init__(self, stream: BinaryIO, digest: StreamDigest):
        self.stream, self.digest = stream, digest

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def without_bom(stream: BinaryIO) -> BinaryIO:
    """``stream`` without its byte-order mark; UTF-16 and UTF-32 re-encoded as UTF-8."""
    head = stream.read(4)
    size, codec = sniff_bom(head)
    if codec in (None, "utf-8"):
        return _Prefixed(head[size:], stream)
    return _Transcoded(head[size:], stream, codec)


class _Prefixed:
    """Bytes already read, then the rest of the stream."""

    def __init__(self, prefix: bytes, stream: BinaryIO):
        self.prefix, self.stream = prefix, stream

    def read(self, size: int = -1) -> bytes:
        data, self.prefix = self.prefix, b""
        return data + self.stream.read(size)


class _Transcoded:
    """A UTF-16 or UTF-32 stream read as UTF-8. Lone surrogates become invalid UTF-8 bytes and
    trailing odd bytes an invalid byte, so the ``errors`` policy counts them like any other."""

    def __init__(self, prefix: bytes, stream: BinaryIO, codec: str):
        self.prefix, self.stream = prefix, stream
        self.decoder = codecs.getincrementaldecoder(codec)("surrogatepass")

    def read(self, size: int = -1) -> bytes:
        while True:
            data, self.prefix = self.prefix + self.stream.read(size), b""
            try:
                text = self.decoder.decode(data, final=not data)
            except UnicodeDecodeError:  # an odd number of bytes at the end
                self.decoder.reset()
                return b"\xff"
            if text or not data:
                return text.encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- names of any format


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
    _check_policy(errors)
    check_source(source)
    stats = stats if stats is not None else ReadStats()
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix not in TABLE_FORMATS:
        if column is not None or extra:
            asked = [c for c in (column, *extra) if c]
            raise InputError(
                f"{source}: plain text (one name per line) has no columns, but {asked} were asked for; "
                "give a .csv, .tsv, .jsonl or .parquet file, or leave out --column"
            )
        return _text_batches(source, errors, stats)
    columns = (column or "text", *extra)
    if suffix == ".parquet":
        rows = _parquet_rows(source, columns)
    else:
        rows = _table_rows(source, columns, suffix, errors, stats)
    named = _named_rows(rows, source, columns, errors, stats)
    return map(_batch_of, iter(lambda: tuple(islice(named, CHUNK_ROWS)), ()))


def read_names(stream: BinaryIO, source: str, errors: str = "replace", stats: ReadStats | None = None) -> Iterator[Name]:
    """Names from a one-name-per-line stream; blank lines are kept as empty names."""
    _check_policy(errors)
    stats = stats if stats is not None else ReadStats()
    return chain.from_iterable(map(_names_of, _stream_batches(without_bom(stream), source, errors, stats)))


def _check_policy(errors: str) -> None:
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}")


def _names_of(batch: NameBatch) -> Iterator[Name]:
    return map(Name, batch.lines, batch.texts, batch.raws, batch.fields)


def _batch_of(names: tuple[Name, ...]) -> NameBatch:
    return NameBatch(*map(list, zip(*names)))


# --------------------------------------------------------------------------- plain text


def _text_batches(source: str, errors: str, stats: ReadStats) -> Iterator[NameBatch]:
    with open_input(source, stats) as handle:
        yield from _stream_batches(handle, source, errors, stats)


def _stream_batches(stream: BinaryIO, source: str, errors: str, stats: ReadStats) -> Iterator[NameBatch]:
    number = 0
    for block, whole_lines in _blocks(stream, MAX_LINE_BYTES):
        texts = _clean_block(block) if whole_lines else None
        if texts is not None:
            stats.lines += len(texts)
            yield NameBatch(list(range(number + 1, number + 1 + len(texts))), texts, texts, [{}] * len(texts))
            number += len(texts)
            continue
        names = []
        for data in _split_block(block, MAX_LINE_BYTES) if whole_lines else [block]:
            number += 1
            stats.lines += 1
            name = _decode_line(data, number, source, errors, stats)
            if name is not None:
                names.append(name)
        if names:
            yield _batch_of(names)


def lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Lines without their terminator; one longer than ``limit`` bytes is cut at ``limit + 1``
    bytes (so that its length tells it was cut) and the rest of it is never held in memory."""
    for block, whole_lines in _blocks(stream, limit):
        yield from _split_block(block, limit) if whole_lines else [block]


def _split_block(block: bytes, limit: int) -> list[bytes]:
    return [line[: limit + 1] for line in block.split(b"\n")]


def _blocks(stream: BinaryIO, limit: int) -> Iterator[tuple[bytes, bool]]:
    """(bytes, True): whole lines joined by ``\\n``, up to one read's worth; (bytes, False): the
    start of an over-long line, already cut at ``limit + 1`` bytes (the rest is skipped)."""
    chunks = _newline_chunks(stream)
    pending = b""
    for chunk in chunks:
        pending += chunk
        while True:
            end = pending.rfind(b"\n")
            if end >= 0:
                yield pending[:end], True
                pending = pending[end + 1 :]
            if len(pending) <= limit:
                break
            yield pending[: limit + 1], False
            pending = _after_next_newline(chunks)
    if pending:
        yield pending, True


def _newline_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes with ``\\r\\n`` and lone ``\\r`` turned into ``\\n`` (a ``\\r`` at the end
    of a read waits for the next one, which may start with its ``\\n``)."""
    held = b""
    while chunk := stream.read(CHUNK_BYTES):
        if held:
            chunk, held = held + chunk, b""
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                chunk, held = chunk[:-1], b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        yield chunk
    if held:
        yield b"\n"


def _after_next_newline(chunks: Iterator[bytes]) -> bytes:
    for chunk in chunks:
        newline = chunk.find(b"\n")
        if newline >= 0:
            return chunk[newline + 1 :]
    return b""


def _clean_block(block: bytes) -> list[str] | None:
    """The names of a block in one go when it is valid UTF-8 without over-long lines (the common
    case); None sends it line by line through the checks."""
    try:
        texts = block.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    return texts if max(map(len, texts)) <= MAX_NAME_CHARS else None


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
        stats.report("truncated", f"{source}:{number}: name longer than {MAX_NAME_CHARS} characters, truncated")
        text = text[:MAX_NAME_CHARS]
        raw = text if isinstance(raw, str) else raw[:MAX_NAME_CHARS]
    return Name(number, text, raw)


def _bad_utf8(data: bytes, err: UnicodeDecodeError, number: int, source: str, errors: str, stats: ReadStats) -> str | None:
    where = f"{source}:{number}: invalid UTF-8 at byte {err.start}"
    if errors == "strict":
        raise InputError(f"{where}; fix the file or rerun with --errors replace or --errors skip")
    if errors == "skip":
        stats.skipped += 1
        stats.report("skipped", f"{where}; line skipped")
        return None
    decoded = decode(data)
    if decoded.invalid_bytes:
        stats.invalid_utf8 += 1
        stats.report("invalid UTF-8", f"{where}; {decoded.invalid_bytes} bytes replaced")
    else:
        stats.fallback_decoded += 1
        stats.report("legacy code page", f"{where}; decoded as {decoded.codec}")
    return decoded.text


# --------------------------------------------------------------------------- tables


class _Malformed(NamedTuple):
    """A row that cannot be parsed, and why."""

    reason: str


def _named_rows(rows, source: str, columns: tuple[str, ...], errors: str, stats: ReadStats) -> Iterator[Name]:
    """Names of table rows (number, [name value, extra values...] or _Malformed); every row
    counted, every one left out reported."""
    column = columns[0]
    for number, values in rows:
        stats.lines += 1
        value = None if isinstance(values, _Malformed) else values[0]
        if isinstance(values, _Malformed) or not isinstance(value, (str, bytes, type(None))):
            reason = values.reason if isinstance(values, _Malformed) else f"{column!r} is a {type(value).__name__}, not text"
            _reject(source, number, reason, errors, stats)
            continue
        if value is None:
            stats.skipped += 1
            stats.report("no value", f"{source}:{number}: no {column!r} value; row left out")
            continue
        name = _decode_line(_as_bytes(value), number, source, errors, stats)
        if name is not None:
            extra = dict(zip(columns[1:], map(_extra_value, values[1:]))) if len(columns) > 1 else {}
            yield Name(name.line, name.text, name.raw, extra)


def _reject(source: str, number: int, reason: str, errors: str, stats: ReadStats) -> None:
    where = f"{source}:{number}: {reason}"
    if errors == "strict":
        raise InputError(f"{where}; fix the row or rerun with --errors replace or --errors skip")
    stats.skipped += 1
    stats.malformed += 1
    stats.report("malformed rows", f"{where}; row left out")


def _as_bytes(value: str | bytes) -> bytes:
    """A field's bytes as they were in the file (undecodable bytes were carried as surrogates)."""
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate written as a JSON escape: invalid UTF-8 on purpose
        return value.encode("utf-8", "surrogatepass")


def _extra_value(value: Any) -> Any:
    """An id or group column: text as text (bad bytes decoded leniently), anything else as is."""
    if isinstance(value, (str, bytes)):
        return decode(_as_bytes(value)).text
    return value


def _table_rows(source: str, columns: tuple[str, ...], suffix: str, errors: str, stats: ReadStats):
    """Rows of a CSV, TSV or JSONL input; the file and (CSV/TSV) its header are checked now."""
    stack = ExitStack()
    stream = stack.enter_context(open_input(source, stats))
    rows = lines(stream, MAX_ROW_BYTES)
    try:
        if suffix == ".jsonl":
            parse, first = _json_parser(columns), 1
        else:
            parse, first = _delimited_parser(source, columns, "\t" if suffix == ".tsv" else ",", next(rows, None)), 2
    except BaseException:
        stack.close()
        raise
    return _parsed(stack, rows, parse, first)


def _parsed(stack: ExitStack, rows: Iterator[bytes], parse: Callable[[str], list | _Malformed], first: int):
    with stack:
        for number, row in enumerate(rows, first):
            if len(row) > MAX_ROW_BYTES:
                yield number, _Malformed(f"row longer than {MAX_ROW_BYTES} bytes")
            else:
                yield number, parse(row.decode("utf-8", "surrogateescape"))


def _delimited_parser(source: str, columns: tuple[str, ...], sep: str, header_line: bytes | None):
    header = _split_row(header_line.decode("utf-8", "replace"), sep) if header_line is not None else None
    if isinstance(header, _Malformed):
        raise InputError(f"{source}:1: the header cannot be parsed ({header.reason}); fix the file")
    for column in columns:
        if header is None or column not in header:
            raise InputError(f"{source}:1: no column {column!r} in the header {header}; use --column")
    indexes = [header.index(c) for c in columns]

    def parse(line: str) -> list | _Malformed:
        row = _split_row(line, sep)
        if isinstance(row, _Malformed):
            return row
        return [row[i] if i < len(row) else None for i in indexes]

    return parse


def _split_row(line: str, sep: str) -> list[str] | _Malformed:
    if '"' not in line:
        return line.split(sep) if line else []
    try:
        return next(csv.reader((line,), delimiter=sep, strict=True))
    except csv.Error as err:
        return _Malformed(f"quotes do not pair up ({err}); a quoted field must close on its line")


def _json_parser(columns: tuple[str, ...]):
    def parse(line: str) -> list | _Malformed:
        if not line.strip():
            return [None] * len(columns)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            return _Malformed(f"not valid JSON ({err})")
        if not isinstance(row, dict):
            return _Malformed(f"a JSON {type(row).__name__}, not an object")
        return [row.get(c) for c in columns]

    return parse


csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_BYTES))


# --------------------------------------------------------------------------- Parquet


def _parquet_rows(source: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list]]:
    parquet = _open_parquet(source, columns)
    return _parquet_values(parquet, columns)


def _open_parquet(source: str, columns: tuple[str, ...]):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if is_stream(source):
        raise InputError(f"{source}: Parquet is read from a file (it needs random access), not a pipe or stdin")
    try:
        parquet = pq.ParquetFile(source)
    except (OSError, ValueError, pa.ArrowException) as err:
        raise InputError(f"{source}: not a readable Parquet file ({err})") from err
    schema = parquet.schema_arrow
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise InputError(f"{source}: no column {missing[0]!r} (it has {schema.names}); use --column")
    kind = schema.field(columns[0]).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    text_types = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary, pa.types.is_null)
    if not any(is_type(kind) for is_type in text_types):
        raise InputError(f"{source}: column {columns[0]!r} holds {kind}, not text; choose the name column with --column")
    return parquet


def _parquet_values(parquet, columns: tuple[str, ...]) -> Iterator[tuple[int, list]]:
    number = 0
    for batch in parquet.iter_batches(columns=list(columns), batch_size=CHUNK_ROWS):
        for values in zip(*(batch.column(i).to_pylist() for i in range(len(columns)))):
            number += 1
            yield number, list(values)
