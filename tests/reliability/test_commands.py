"""The command line under careless use: pipes closed early, many warnings, long names, and
keyword list files with odd line separators.

Cases 16 and 18 (truncation reports, broken pipes, keyword list line numbers) of
docs/RELIABILITY.md.
"""

import json
import subprocess

import pytest

from icop.io.streams import MAX_NAME_CHARS
from icop.model import bundle
from icop.text.normalize import normalize
from tests.reliability.conftest import MODEL, icop, icop_process, rows, triage

# --------------------------------------------------------------------------- 16: one truncation rule


def test_explain_triage_and_onnx_agree_on_long_names(tmp_path):
    from icop.integrations import onnx as onnx_export

    long_names = ["Family.Holiday." * 300 + ".mp4", "ภาพยนตร์" * 400, "x" * (MAX_NAME_CHARS + 1)]
    result = triage("-", "--order", "input", "--audit", tmp_path / "a.json", input="".join(n + "\n" for n in long_names))
    triaged = [int(r["logit"]) for r in rows(result.stdout)]
    explained = [json.loads(icop("explain", "--model", MODEL, "--format", "json", n).stdout)["logit"] for n in long_names]
    assert explained == triaged
    model = bundle.load(MODEL).model
    untruncated = model.integer_logits(model.featuriser().transform([normalize(long_names[0])]))[0]
    assert triaged[0] != untruncated  # truncation matters for this name
    onnx_path = tmp_path / "m.onnx"
    assert icop("export-onnx", "--model", MODEL, "--out", onnx_path, "--parity-names", "50").exit_code == 0
    logits, _ = onnx_export.session(onnx_path).run(None, onnx_export.prepare_inputs(model, long_names))
    assert [int(x) for x in logits] == triaged


# --------------------------------------------------------------------------- 18: many warnings


def test_warnings_beyond_the_first_20_are_counted_by_kind(tmp_path):
    path = tmp_path / "n.txt"
    path.write_bytes(b"".join(b"y" * 2000 + b"\n" for _ in range(25)) + b"bad\xff\n" * 3)
    result = triage(path, "-o", tmp_path / "o.csv")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 21
    assert warnings[-1] == "warning: ... and 8 more (3 invalid UTF-8, 5 truncated)"
    assert "28 names" in result.stderr and "25 truncated; 3 invalid UTF-8" in result.stderr


# --------------------------------------------------------------------------- 18: broken pipes


def read_one_line_then_close(*args):
    process = icop_process(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    stderr = process.stderr.read().decode()
    return first, process.wait(), stderr


def test_triage_into_a_pipe_closed_early_exits_0_quietly(tmp_path, many_names):
    audit = tmp_path / "a.json"
    first, code, stderr = read_one_line_then_close("triage", many_names, "--model", MODEL, "--quiet", "--audit", audit)
    assert first.startswith(b'"source","line"') and code == 0 and stderr == ""


def test_keywords_scan_into_a_pipe_closed_early_exits_0_quietly(tmp_path, lexicon):
    marker = next(t for t in lexicon if t.kind == "listed")
    names = tmp_path / "names.txt"
    names.write_text("".join(f"video {marker.term} {i}.mp4\n" for i in range(40_000)), encoding="utf-8")
    first, code, stderr = read_one_line_then_close("keywords", "scan", names, "--quiet")
    assert first.startswith(b"source\tline") and code == 0 and stderr == ""


# --------------------------------------------------------------------------- 18: keyword list lines


def test_a_line_separator_inside_a_keyword_list_field_keeps_line_numbers(tmp_path):
    path = tmp_path / "list.tsv"
    header = "# icop keyword list v1\nid\tterm\tlang\tcategory\tweight\tmatch\tsource\tadded\n"
    rows_ = ["a1\tqazvex\ten\tx\t1\ttoken\tnote\u2028more\t2026-01-01", "a2\tvorblin\tzz\tx\t1\ttoken\ts\t2026-01-01"]
    path.write_text(header + "\n".join(rows_) + "\n", encoding="utf-8")
    result = icop("keywords", "validate", path)
    assert result.exit_code == 2 and f"{path}:4: unknown language 'zz'" in result.stderr


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0c"])
def test_names_with_unicode_line_separators_stay_one_name(tmp_path, separator):
    result = triage("-", "--order", "input", "--audit", tmp_path / "a.json", input=f"a{separator}b.mp4\nnext.mp4\n")
    assert [r["line"] for r in rows(result.stdout)] == ["1", "2"]
