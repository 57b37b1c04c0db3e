import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icop.io import streams


def read(data: bytes, errors="replace"):
    stats = streams.ReadStats()
    names = list(streams.read_names(io.BytesIO(data), "in.txt", errors, stats))
    return names, stats


def test_lines_keep_their_numbers_including_empty_and_crlf():
    names, stats = read(b"a.mp4\r\n\nb\x00c.jpg\nlast")
    assert [(n.line, n.text) for n in names] == [(1, "a.mp4"), (2, ""), (3, "b\x00c.jpg"), (4, "last")]
    assert stats.lines == 4 and not stats.problems


def test_invalid_utf8_is_replaced_and_counted_by_default():
    names, stats = read(b"ok\nab\xffcd\n")
    assert names[1].text == "ab\ufffdcd" and names[1].raw == b"ab\xffcd"
    assert stats.invalid_utf8 == 1
    assert stats.problems == ["in.txt:2: invalid UTF-8 at byte 2; 1 bytes replaced"]


def test_legacy_code_pages_are_decoded():
    names, stats = read("свадьба\n".encode("cp1251"))
    assert names[0].text == "свадьба" and stats.fallback_decoded == 1


def test_skip_reports_and_leaves_out_the_line():
    names, stats = read(b"ok\nab\xffcd\nfine\n", errors="skip")
    assert [n.line for n in names] == [1, 3]
    assert stats.skipped == 1 and "in.txt:2" in stats.problems[0]


def test_strict_stops_with_file_and_line():
    with pytest.raises(streams.InputError, match=r"in.txt:2: invalid UTF-8 at byte 2"):
        read(b"ok\nab\xffcd\n", errors="strict")


def test_huge_lines_are_truncated_and_counted_without_reading_them_whole():
    huge = "ภ" * 100_000
    names, stats = read(f"a\n{huge}\nb\n".encode())
    assert [n.line for n in names] == [1, 2, 3]
    assert len(names[1].text) == streams.MAX_NAME_CHARS
    assert stats.truncated == 1
    assert names[2].text == "b"


def test_unterminated_huge_last_line():
    names, stats = read(b"x" * (streams.CHUNK_BYTES * 2 + 5))
    assert len(names) == 1 and len(names[0].text) == streams.MAX_NAME_CHARS and stats.truncated == 1


LINES = st.lists(
    st.one_of(
        st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=12),
        st.sampled_from([b"a\r", b"\r", b"\r\r", b"\xe0\xb8", "ก".encode() * 400, b"x" * 1500, b"x" * 5000, b""]),
    ),
    max_size=30,
)


def reference_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` by the rule, independently of the reader: CRLF, LF and lone CR end a
    line; a final terminator does not start another line; each line cut at MAX_LINE_BYTES + 1."""
    pieces = re.split(rb"\r\n|\r|\n", data)
    if data.endswith((b"\n", b"\r")) or not data:
        pieces.pop()
    return [p[: streams.MAX_LINE_BYTES + 1] for p in pieces]


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(LINES, st.booleans(), st.sampled_from([7, 64, 4096]))
def test_whole_blocks_read_exactly_like_line_by_line(monkeypatch, lines, final_newline, chunk):
    monkeypatch.setattr(streams, "CHUNK_BYTES", chunk)
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        data = b"." + data  # byte-order marks are another test's business
    stats, reference_stats = streams.ReadStats(), streams.ReadStats()
    names = list(streams.read_names(io.BytesIO(data), "in.txt", stats=stats))
    reference = [
        name
        for number, line in enumerate(reference_lines(data), 1)
        if (name := streams._decode_line(line, number, "in.txt", "replace", reference_stats)) is not None
    ]
    assert names == reference
    assert (stats.invalid_utf8, stats.truncated, stats.problems) == (
        reference_stats.invalid_utf8,
        reference_stats.truncated,
        reference_stats.problems,
    )
    assert stats.lines == len(reference)


def test_missing_file_is_an_error_before_reading(tmp_path):
    with pytest.raises(streams.InputError, match="no such file"), streams.open_input(str(tmp_path / "absent.txt")):
        pass


def test_table_formats_read_the_named_column(tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"text": "a.mp4", "id": "1"}, {"text": "ภาพ.jpg", "id": "2"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "n.parquet")
    (tmp_path / "n.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    (tmp_path / "n.csv").write_text('id,text\n1,a.mp4\n2,"ภาพ.jpg"\n')
    (tmp_path / "n.tsv").write_text("name\tid\na.mp4\t1\nภาพ.jpg\t2\n")
    for name, column in (("n.parquet", None), ("n.jsonl", None), ("n.csv", "text"), ("n.tsv", "name")):
        names = list(streams.names_from(str(tmp_path / name), column))
        assert [n.text for n in names] == ["a.mp4", "ภาพ.jpg"], name
    with pytest.raises(streams.InputError, match="no column 'text' in the header"):
        streams.names_from(str(tmp_path / "n.tsv"))
    with pytest.raises(streams.InputError, match="no column 'name'"):
        streams.names_from(str(tmp_path / "n.parquet"), "name")
