"""Inputs that are malformed, oddly encoded or not files: every row accounted for, none merged.

Cases 5, 6, 8, 11, 14 and 18 (line ends, JSONL values, FIFO inputs, --column on text) of
docs/RELIABILITY.md.
"""

import io
import json
import os
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icop.io import streams
from tests.io.test_streams import reference_lines
from tests.reliability.conftest import audit_of, rows, triage


def read_all(path, column=None, errors="replace"):
    stats = streams.ReadStats()
    names = list(streams.names_from(str(path), column, errors, stats))
    assert stats.lines == len(names) + stats.skipped  # every row accounted for
    return names, stats


# --------------------------------------------------------------------------- 5: stray quotes


@pytest.mark.parametrize("suffix, sep", [(".csv", ","), (".tsv", "\t")])
def test_a_stray_quote_never_merges_rows(tmp_path, suffix, sep):
    path = tmp_path / f"names{suffix}"
    lines = [f"id{sep}text", f'1{sep}"a.mp4', *(f"{i}{sep}n{i}.mp4" for i in range(2, 12_002))]
    path.write_text("\n".join(lines) + "\n")
    names, stats = read_all(path)
    assert [n.text for n in names[:2]] == ["n2.mp4", "n3.mp4"] and len(names) == 12_000
    assert stats.malformed == stats.skipped == 1 and stats.lines == 12_001
    assert stats.problems == [
        f"{path}:2: quotes do not pair up (unexpected end of data); a quoted field must close on its line; row left out"
    ]


def test_a_stray_quote_through_triage_is_counted_reported_or_fatal(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text('text,id\nok.mp4,1\n"half.mp4,2\nfine.mp4,3\n"x"y.mp4,4\n')
    out = tmp_path / "o.csv"
    result = triage(path, "-o", out)
    assert result.exit_code == 0, result.output
    assert [r["line"] for r in rows(out)] == ["2", "4"]
    assert f"{path}:3: quotes do not pair up" in result.stderr and f"{path}:5: quotes do not pair up" in result.stderr
    assert audit_of(out)["counts"]["malformed_rows"] == 2 and audit_of(out)["counts"]["skipped"] == 2
    strict = triage(path, "-o", tmp_path / "s.csv", "--errors", "strict")
    assert strict.exit_code == 2 and f"{path}:3: quotes do not pair up" in strict.stderr
    assert not (tmp_path / "s.csv").exists()


def test_quoted_fields_and_doubled_quotes_still_parse(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text('id,text\n1,"a, b.mp4"\n2,"say ""hi"".mp4"\n3,plain"quote.mp4\n')
    names, stats = read_all(path)
    assert [n.text for n in names] == ["a, b.mp4", 'say "hi".mp4', 'plain"quote.mp4'] and not stats.skipped


# --------------------------------------------------------------------------- 6: one decoding policy


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "txt"])
def test_invalid_utf8_follows_errors_in_every_format(tmp_path, fmt):
    bad = b"bad\xff.mp4"
    body = {
        "csv": b"text\nok.mp4\n" + bad + b"\n",
        "tsv": b"text\nok.mp4\n" + bad + b"\n",
        "jsonl": b'{"text": "ok.mp4"}\n{"text": "' + bad + b'"}\n',
        "txt": b"ok.mp4\n" + bad + b"\n",
    }[fmt]
    path = tmp_path / f"n.{fmt}"
    path.write_bytes(body)
    line = 3 if fmt in ("csv", "tsv") else 2
    names, stats = read_all(path)
    assert names[1].text == "bad\ufffd.mp4" and names[1].raw == bad and stats.invalid_utf8 == 1
    assert stats.problems == [f"{path}:{line}: invalid UTF-8 at byte 3; 1 bytes replaced"]
    names, stats = read_all(path, errors="skip")
    assert [n.text for n in names] == ["ok.mp4"] and stats.skipped == 1
    with pytest.raises(streams.InputError, match=f"{path}:{line}: invalid UTF-8"):
        read_all(path, errors="strict")
    out = tmp_path / f"o.{fmt}.csv"
    assert triage(path, "-o", out).exit_code == 0
    assert audit_of(out)["counts"]["invalid_utf8"] == 1


def test_legacy_code_pages_are_decoded_in_tables_too(tmp_path):
    path = tmp_path / "n.csv"
    path.write_bytes(b"id,text\n1," + "свадьба.mp4".encode("cp1251") + b"\n")
    names, stats = read_all(path)
    assert names[0].text == "свадьба.mp4" and stats.fallback_decoded == 1


# --------------------------------------------------------------------------- 8: long rows and fields


def test_a_long_jsonl_row_is_truncated_not_an_error(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "z" * 5000}) + "\n" + json.dumps({"text": "next.mp4"}) + "\n")
    names, stats = read_all(path)
    assert [len(n.text) for n in names] == [streams.MAX_NAME_CHARS, 8] and stats.truncated == 1


def test_a_csv_field_beyond_the_csv_module_limit_is_truncated(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text('id,text\n1,"' + "ภ" * 200_000 + '"\n2,after.mp4\n')
    names, stats = read_all(path)
    assert [n.text for n in names] == ["ภ" * streams.MAX_NAME_CHARS, "after.mp4"] and stats.truncated == 1


def test_a_row_beyond_the_row_limit_is_rejected_and_reading_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(streams, "MAX_ROW_BYTES", 50_000)
    path = tmp_path / "n.csv"
    path.write_text("text,note\nfirst.mp4,x\nhuge.mp4," + "x" * 200_000 + "\nlast.mp4,y\n")
    names, stats = read_all(path)
    assert [n.text for n in names] == ["first.mp4", "last.mp4"] and [n.line for n in names] == [2, 4]
    assert stats.malformed == 1 and "n.csv:3: row longer than 50000 bytes" in stats.problems[0]


# --------------------------------------------------------------------------- 11: byte-order marks


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks_are_honoured(tmp_path, codec):
    text = "ภาพยนตร์.mp4\nIMG_0001.JPG\r\nсвадьба.avi\n"
    plain, marked = tmp_path / "plain.txt", tmp_path / "marked.txt"
    plain.write_text(text, encoding="utf-8")
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    marked.write_bytes(data)
    names, stats = read_all(marked)
    assert [n.text for n in names] == ["ภาพยนตร์.mp4", "IMG_0001.JPG", "свадьба.avi"] and not stats.problems
    triage(plain, "-o", tmp_path / "a.csv")
    triage(marked, "-o", tmp_path / "b.csv")
    strip = lambda rs: [(r["line"], r["name"], r["logit"]) for r in rs]  # noqa: E731
    assert strip(rows(tmp_path / "a.csv")) == strip(rows(tmp_path / "b.csv"))


def test_utf8_bom_does_not_break_a_csv_header_and_utf16_tsv_reads(tmp_path):
    path = tmp_path / "n.csv"
    path.write_bytes("text,id\nfirst.mp4,1\n".encode("utf-8-sig"))
    assert [n.text for n in read_all(path)[0]] == ["first.mp4"]
    excel = tmp_path / "n.tsv"  # what a spreadsheet's "Unicode text" export writes
    excel.write_bytes("text\tid\r\nfirst.mp4\t1\r\nвторой.mp4\t2\r\n".encode("utf-16"))
    names, _ = read_all(excel)
    assert [n.text for n in names] == ["first.mp4", "второй.mp4"]


def test_a_lone_surrogate_in_utf16_is_counted_like_invalid_utf8(tmp_path):
    path = tmp_path / "n.txt"
    path.write_bytes(b"\xff\xfe" + "ok\n".encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le"))
    names, stats = read_all(path)
    assert names[0].text == "ok" and "\ufffd" in names[1].text and stats.invalid_utf8 == 1


# --------------------------------------------------------------------------- 14: Parquet types


def test_parquet_binary_names_are_decoded_under_the_policy(tmp_path):
    path = tmp_path / "n.parquet"
    names = [b"IMG_0001.JPG", "ภาพ.jpg".encode(), b"bad\xff.mp4", None]
    pq.write_table(pa.table({"text": pa.array(names, pa.binary())}), path)
    got, stats = read_all(path)
    assert [n.text for n in got] == ["IMG_0001.JPG", "ภาพ.jpg", "bad\ufffd.mp4"]
    assert stats.invalid_utf8 == 1 and stats.skipped == 1 and "n.parquet:4: no 'text' value" in stats.problems[1]
    assert not any(n.text.startswith("b'") for n in got)
    got, stats = read_all(path, errors="skip")
    assert [n.text for n in got] == ["IMG_0001.JPG", "ภาพ.jpg"] and stats.skipped == 2


def test_a_parquet_column_that_is_not_text_is_a_clear_error(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), path)
    result = triage(path, "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and "column 'text' holds int64, not text" in result.stderr


# --------------------------------------------------------------------------- 18: lines, values, sources


def test_a_50_mb_line_adds_no_empty_name():
    data = b"a\n" + b"x" * 50_000_000 + b"\nb\n"
    stats = streams.ReadStats()
    names = list(streams.read_names(io.BytesIO(data), "big", stats=stats))
    assert [(n.line, n.text[:1]) for n in names] == [(1, "a"), (2, "x"), (3, "b")] and stats.truncated == 1


@pytest.mark.parametrize("size", [streams.CHUNK_BYTES - 1, streams.CHUNK_BYTES, 3 * streams.CHUNK_BYTES + 1])
def test_over_long_lines_at_read_boundaries(size):
    names = list(streams.read_names(io.BytesIO(b"a\n" + b"x" * size + b"\nb\n"), "big"))
    assert [n.text[:1] for n in names] == ["a", "x", "b"]


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"a\rb\n", ["a", "b"]),
        (b"a\r\nb", ["a", "b"]),
        (b"a\r", ["a"]),
        (b"a\r\r\nb\n", ["a", "", "b"]),
        (b"a\n\rb", ["a", "", "b"]),
    ],
)
def test_a_lone_cr_ends_a_line(data, expected):
    assert [n.text for n in streams.read_names(io.BytesIO(data), "cr")] == expected


def test_a_lone_cr_in_a_csv_row_ends_it(tmp_path):
    path = tmp_path / "n.csv"
    path.write_bytes(b"text,id\ra.mp4,1\rb.mp4,2\r")
    assert [(n.line, n.text) for n in read_all(path)[0]] == [(2, "a.mp4"), (3, "b.mp4")]


def test_jsonl_values_that_are_not_text_are_reported_not_stringified(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text('{"text": "ok.mp4"}\n{"text": 123}\n{"text": ["a"]}\n[1, 2]\nnot json\n\n{"text": "end.mp4"}\n')
    names, stats = read_all(path)
    assert [(n.line, n.text) for n in names] == [(1, "ok.mp4"), (7, "end.mp4")]
    assert stats.skipped == 5 and stats.malformed == 4
    assert stats.problems[:2] == [
        f"{path}:2: 'text' is a int, not text; row left out",
        f"{path}:3: 'text' is a list, not text; row left out",
    ]
    with pytest.raises(streams.InputError, match=f"{path}:2: 'text' is a int, not text"):
        read_all(path, errors="strict")


def test_a_fifo_input_is_read_and_digested(tmp_path):
    fifo = tmp_path / "names.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"a.mp4\nb.mp4\n"), daemon=True)
    writer.start()
    out = tmp_path / "o.csv"
    result = triage(fifo, "-o", out)
    writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert sorted(r["line"] for r in rows(out)) == ["1", "2"]
    import hashlib

    digest = hashlib.sha256(b"a.mp4\nb.mp4\n").hexdigest()
    assert audit_of(out)["inputs"] == [{"path": str(fifo), "kind": "stream", "sha256": digest}]


def test_column_on_plain_text_is_refused_before_any_work(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text("a.mp4\n")
    result = triage(path, "--column", "filename", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and "plain text (one name per line) has no columns" in result.stderr
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.csv.icop-work").exists()


# --------------------------------------------------------------------------- hostile bytes


@pytest.mark.hostile
@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.binary(max_size=3000))
def test_hostile_bytes_through_the_line_reader(data):
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        data = b"." + data  # byte-order marks: the tests above
    stats = streams.ReadStats()
    names = list(streams.read_names(io.BytesIO(data), "fuzz", "replace", stats))
    assert stats.lines == len(names) == len(reference_lines(data))
    assert all(len(n.text) <= streams.MAX_NAME_CHARS for n in names)
