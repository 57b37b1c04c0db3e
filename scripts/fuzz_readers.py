#!/usr/bin/env python3
"""Fuzz the input readers of every format (text, CSV, TSV, JSONL, Parquet) with hypothesis.

For each format, ``--examples`` generated files of hostile rows (random bytes, invalid UTF-8,
legacy code pages, stray and paired quotes, separators, CR/LF/CRLF and Unicode line
separators, byte-order marks and UTF-16/32, over-long names and rows, JSON values of every
type, Parquet string and binary columns with nulls) are read with a random ``--errors`` policy.
Checked on every example:

* no exception, except the clear ``InputError`` that ``--errors strict`` is for;
* every row accounted for: rows in (counted here, independently of the reader) = rows read =
  names out + rows rejected;
* no name longer than ``MAX_NAME_CHARS`` characters; line numbers increasing, within the file.

Prints one line per format and the totals. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import codecs
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from icop.errors import InputError
from icop.io import streams

LINE_BREAK = re.compile(rb"\r\n|\r|\n")
BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
#: Smaller than the real limits so that over-long names and rows come up often.
ROW_LIMIT = 6_000

ALPHABET = list("aZ09 ._-[]()#,\t\"'\\{}:ภาพยนตร์ស្រ្តីကျမန္ာ電影ｶﾗｵｹрасеёđơư😀\u200b\u00ad\u2028\u2029\x85\x0c\x00\r\n\ufeff")
TEXT = st.one_of(st.text(st.sampled_from(ALPHABET), max_size=30), st.text(max_size=12))
RAW = st.one_of(
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=16),
    TEXT.map(lambda t: t.encode("cp1251", "ignore")),
    st.sampled_from([b"\xff", b"\xe0\xb8", b"\xed\xa0\x80", b'"', b'""', b"\r", b"\r\n", b"\n", b"\xef\xbb\xbf"]),
    st.integers(1000, 9000).map(lambda n: b"x" * n),
    st.integers(300, 2500).map(lambda n: "ก".encode() * n),
)
POLICY = st.sampled_from(streams.ERROR_POLICIES)


@dataclass
class Tally:
    examples: int = 0
    rows_in: int = 0
    names_out: int = 0
    rejected: int = 0
    truncated: int = 0
    invalid_utf8: int = 0
    strict_stops: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def physical_lines(data: bytes) -> int:
    """Lines by the rule (CRLF, LF, lone CR end a line; a final terminator starts none)."""
    if not data:
        return 0
    return len(LINE_BREAK.split(data)) - (1 if data.endswith((b"\n", b"\r")) else 0)


def no_bom(data: bytes) -> bytes:
    return b"." + data if data.startswith(BOMS) else data


def check(path: Path, errors: str, rows_in: int, tally: Tally, column: str | None = None) -> None:
    stats = streams.ReadStats()
    tally.examples += 1
    try:
        names = list(streams.names_from(str(path), column, errors, stats))
    except InputError:
        if errors != "strict":
            raise
        tally.strict_stops += 1
        return
    assert stats.lines == rows_in, (stats.lines, rows_in)
    assert stats.lines == len(names) + stats.skipped, (stats.lines, len(names), stats.skipped)
    assert all(len(n.text) <= streams.MAX_NAME_CHARS for n in names)
    numbers = [n.line for n in names]
    assert numbers == sorted(set(numbers)) and all(1 <= n <= rows_in + 1 for n in numbers)
    tally.rows_in += rows_in
    tally.names_out += len(names)
    tally.rejected += stats.skipped
    tally.truncated += stats.truncated
    tally.invalid_utf8 += stats.invalid_utf8


# --------------------------------------------------------------------------- one strategy per format

ENCODED = st.sampled_from(["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])


@st.composite
def text_file(draw) -> tuple[bytes, int]:
    if draw(st.integers(0, 9)) == 0:  # a byte-order mark and another encoding
        codec = draw(ENCODED)
        text = draw(st.lists(TEXT, max_size=20).map("\n".join)).replace("\ufeff", "")
        text = "." + text if text.startswith("\x00") else text  # FF FE 00 00 announces UTF-32
        data = text.encode(codec, "ignore")
        if codec == "utf-16-be":
            data = codecs.BOM_UTF16_BE + data
        return data, physical_lines(text.encode("utf-8", "surrogatepass"))
    data = no_bom(
        b"".join(draw(st.lists(st.tuples(RAW, st.sampled_from([b"\n", b"\r\n", b"\r", b""])).map(b"".join), max_size=40)))
    )
    return data, physical_lines(data)


def quoted(field: bytes, sep: bytes) -> bytes:
    return b'"' + field.replace(b'"', b'""') + b'"' if any(c in field for c in (sep, b'"')) else field


@st.composite
def delimited_file(draw, sep: bytes) -> tuple[bytes, int]:
    header = sep.join([b"id", b"text", b"note"])
    rows = []
    for fields in draw(st.lists(st.lists(RAW, min_size=0, max_size=4), max_size=30)):
        if draw(st.booleans()):
            fields = [quoted(f, sep) for f in fields]  # well formed (unless a field holds a line break)
        rows.append(sep.join(fields))
    body = b"\n".join(rows) + draw(st.sampled_from([b"", b"\n", b"\r\n"]))
    return header + b"\n" + body, physical_lines(body)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)


@st.composite
def jsonl_file(draw) -> tuple[bytes, int]:
    lines = []
    for kind in draw(st.lists(st.integers(0, 5), max_size=30)):
        if kind <= 2:
            value = draw(st.one_of(TEXT, JSON_VALUE)) if kind else draw(TEXT)
            line = json.dumps({"id": draw(st.integers()), "text": value}, ensure_ascii=draw(st.booleans())).encode(
                "utf-8", "surrogatepass"
            )
        elif kind == 3:  # a name with raw invalid bytes inside the JSON string
            line = b'{"text": "' + draw(RAW).replace(b"\\", b"").replace(b'"', b"").translate(None, b"\r\n") + b'"}'
        elif kind == 4:
            line = json.dumps(draw(JSON_VALUE)).encode()
        else:
            line = draw(RAW)
        lines.append(line)
    data = no_bom(b"\n".join(lines) + draw(st.sampled_from([b"", b"\n"])))
    return data, physical_lines(data)


@st.composite
def parquet_table(draw) -> pa.Table:
    binary = draw(st.booleans())
    values = draw(st.lists(st.one_of(st.none(), RAW if binary else TEXT), max_size=40))
    if not binary:
        values = [None if v is None else v.encode("utf-8", "replace").decode("utf-8") for v in values]
    names = pa.array(values, pa.binary() if binary else pa.string())
    return pa.table({"id": pa.array(range(len(values)), pa.int64()), "text": names})


# --------------------------------------------------------------------------- running


def fuzz(fmt: str, examples: int, run_seed: int, folder: Path) -> Tally:
    tally = Tally()
    path = folder / f"fuzz.{fmt}"
    options = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    strategy = {
        "txt": text_file(),
        "csv": delimited_file(b","),
        "tsv": delimited_file(b"\t"),
        "jsonl": jsonl_file(),
        "parquet": parquet_table(),
    }[fmt]

    @seed(run_seed)
    @options
    @given(strategy, POLICY)
    def one(example, errors):
        if fmt == "parquet":
            pq.write_table(example, path)
            check(path, errors, example.num_rows, tally)
        else:
            data, rows_in = example
            path.write_bytes(data)
            check(path, errors, rows_in, tally)

    started = time.perf_counter()
    try:
        one()
    except Exception as err:  # hypothesis has printed the falsifying examples
        errors = err.exceptions if isinstance(err, ExceptionGroup) else [err]
        tally.failures += [f"{type(e).__name__}: {str(e)[:200]}" for e in errors]
    tally.seconds = time.perf_counter() - started
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples per format")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--formats", default="txt,csv,tsv,jsonl,parquet")
    args = parser.parse_args()
    streams.MAX_ROW_BYTES = ROW_LIMIT
    print(
        "| format | examples | rows in | names out | rejected | truncated | invalid UTF-8 | strict stops | failures | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    total = Tally()
    with tempfile.TemporaryDirectory(prefix="icop-fuzz-") as folder:
        for fmt in args.formats.split(","):
            t = fuzz(fmt, args.examples, args.seed, Path(folder))
            print(
                f"| {fmt} | {t.examples:,} | {t.rows_in:,} | {t.names_out:,} | {t.rejected:,} | {t.truncated:,} | "
                f"{t.invalid_utf8:,} | {t.strict_stops:,} | {len(t.failures)} | {t.seconds:.1f} |",
                flush=True,
            )
            for name in ("examples", "rows_in", "names_out", "rejected", "truncated", "invalid_utf8", "strict_stops", "seconds"):
                setattr(total, name, getattr(total, name) + getattr(t, name))
            total.failures += [f"{fmt}: {f}" for f in t.failures]
    print(
        f"| all | {total.examples:,} | {total.rows_in:,} | {total.names_out:,} | {total.rejected:,} | {total.truncated:,} | "
        f"{total.invalid_utf8:,} | {total.strict_stops:,} | {len(total.failures)} | {total.seconds:.1f} |"
    )
    print(f"rows in = names out + rejected: {total.rows_in == total.names_out + total.rejected}")
    for failure in total.failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
