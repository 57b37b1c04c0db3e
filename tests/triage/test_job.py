import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.model import DEFAULT_POINT
from tests.conftest import DEFAULT_MODEL

MODEL = DEFAULT_MODEL


def run(*args, input=None):
    return CliRunner().invoke(cli, ["triage", "--model", MODEL, *args], input=input)


@pytest.fixture(scope="module")
def names_file(tmp_path_factory, small_corpus):
    from icop.io import tables

    path = tmp_path_factory.mktemp("names") / "names.txt"
    texts = tables.read_table(small_corpus, ["text"]).column("text").to_pylist()
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_csv_output_ranks_every_name_and_writes_an_audit_record(tmp_path, names_file):
    out = tmp_path / "out.csv"
    result = run(str(names_file), "-o", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert [int(r["rank"]) for r in rows] == list(range(1, 6001))  # the review queue: best first
    assert int(rows[0]["logit"]) == max(int(r["logit"]) for r in rows)
    flagged = [r for r in rows if r["decision"] == "1"]
    threshold = json.loads((tmp_path / "out.csv.audit.json").read_text())["threshold"]["logit"]
    assert all(int(r["logit"]) >= threshold for r in flagged)
    audit = json.loads((tmp_path / "out.csv.audit.json").read_text())
    assert audit["counts"]["names"] == 6000 and audit["inputs"][0]["sha256"]
    assert audit["model"]["manifest_sha256"] and audit["threshold"]["source"].startswith(f"operating point '{DEFAULT_POINT}'")
    assert not (tmp_path / "out.csv.icop-work").exists() and not (tmp_path / "out.csv.icop-lock").exists()


def test_keyword_ids_never_terms(tmp_path, lexicon):
    marker = next(t for t in lexicon if t.id == "ru-0003")
    audit = str(tmp_path / "a.json")
    result = run("-", "--quiet", "--audit", audit, "--order", "input", input=f"IMG_1.JPG\nсемья {marker.term} 2019\n")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["keyword_ids"] for r in rows] == ["", "ru-0003"]  # entry ids, never terms


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "parquet"])
def test_formats_agree(tmp_path, names_file, fmt):
    run(str(names_file), "-o", str(tmp_path / "a.csv"), "--quiet")
    run(str(names_file), "-o", str(tmp_path / f"b.{fmt}"), "--quiet")
    expected = [(r["line"], r["logit"], r["rank"]) for r in read_csv(tmp_path / "a.csv")]
    if fmt == "parquet":
        table = pq.read_table(tmp_path / "b.parquet")
        got = [(str(a), str(b), str(c)) for a, b, c in zip(*(table.column(c).to_pylist() for c in ("line", "logit", "rank")))]
    elif fmt == "jsonl":
        got = [
            (str(r["line"]), str(r["logit"]), str(r["rank"]))
            for r in map(json.loads, (tmp_path / "b.jsonl").read_text().splitlines())
        ]
    else:
        with open(tmp_path / "b.tsv", newline="") as handle:
            got = [(r["line"], r["logit"], r["rank"]) for r in csv.DictReader(handle, delimiter="\t")]
    assert got == expected


def test_top_k_is_the_review_queue_in_rank_order(tmp_path, names_file):
    run(str(names_file), "-o", str(tmp_path / "all.csv"), "--quiet")
    run(str(names_file), "-o", str(tmp_path / "top.csv"), "--top-k", "25", "--quiet")
    top = read_csv(tmp_path / "top.csv")
    assert [int(r["rank"]) for r in top] == list(range(1, 26))
    every = {r["line"]: r for r in read_csv(tmp_path / "all.csv")}
    assert all(every[r["line"]]["logit"] == r["logit"] for r in top)


def test_group_ranking_and_ids_from_a_table(tmp_path, small_corpus):
    out = tmp_path / "g.csv"
    result = run(str(small_corpus), "-o", str(out), "--group-by", "lang", "--id-column", "id", "--quiet")
    assert result.exit_code == 0, result.output
    assert read_csv(out)[0]["id"].startswith("3-")
    groups = read_csv(tmp_path / "g.groups.csv")
    assert len(groups) == 11 and [g["rank"] for g in groups] == [str(i) for i in range(1, 12)]
    assert sum(int(g["names"]) for g in groups) == 6000
    keys = [(-int(g["flagged"]), -float(g["top3_mean"]), -float(g["max"]), g["group"]) for g in groups]
    assert keys == sorted(keys)


def test_redaction_hashes_names_consistently(tmp_path):
    key = tmp_path / "k"
    key.write_bytes(b"redaction-key-of-enough-length!!")
    audit = str(tmp_path / "a.json")
    result = run(
        "-",
        "--redact",
        "--redact-key-file",
        str(key),
        "--quiet",
        "--order",
        "input",
        "--audit",
        audit,
        input="a.mp4\nb.mp4\na.mp4\n",
    )
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["name"][:5] for r in rows] == ["hmac:"] * 3
    assert rows[0]["name"] == rows[2]["name"] != rows[1]["name"] and "a.mp4" not in result.stdout
    assert run("-", "--redact", input="a\n").exit_code == 2


def test_bad_inputs_fail_before_work_with_one_line(tmp_path, names_file):
    assert "no such file" in run(str(tmp_path / "absent.txt"), "-o", str(tmp_path / "o.csv")).stderr
    unknown = run(str(names_file), "-o", str(tmp_path / "o.csv"), "--threshold", "nope")
    assert unknown.exit_code == 2 and "unknown operating point 'nope'" in unknown.stderr
    assert not (tmp_path / "o.csv").exists()
    assert "Parquet cannot go to stdout" in run(str(names_file), "--format", "parquet").stderr


def test_bad_lines_are_kept_truncated_or_counted(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok.mp4\nbad\xff.mp4\n\n" + b"x" * 200_000 + b"\nnul\x00name\n")
    out = tmp_path / "o.csv"
    result = run(str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert len(read_csv(out)) == 5
    audit = json.loads((tmp_path / "o.csv.audit.json").read_text())["counts"]
    assert audit["invalid_utf8"] == 1 and audit["truncated"] == 1
    assert f"{path}:2: invalid UTF-8" in result.stderr


def test_a_second_run_on_the_same_output_is_refused(tmp_path, names_file):
    from icop.triage.workdir import WorkDir

    out = tmp_path / "o.csv"
    with WorkDir(str(out), {}, None).locked():  # a live run holds the lock
        result = run(str(names_file), "-o", str(out))
    assert result.exit_code == 1 and "another icop run (pid " in result.stderr
    assert "is writing this output" in result.stderr and not out.exists()


def test_unwritable_output_location_is_a_clear_error(tmp_path, names_file):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file where a directory should be")
    result = run(str(names_file), "-o", str(blocker / "o.csv"))
    assert result.exit_code == 1 and "writable" in result.stderr
    assert names_file.stat().st_size > 0  # input untouched


def test_kill_nine_then_resume_gives_byte_identical_output(tmp_path, names_file):
    icop = str(Path(sys.executable).with_name("icop"))
    base = [icop, "triage", str(names_file), "--model", MODEL, "--chunk-size", "300", "--quiet"]
    subprocess.run([*base, "-o", str(tmp_path / "clean.csv")], check=True)
    expected = (tmp_path / "clean.csv").read_bytes()
    for attempt, wait_chunks in enumerate((1, 3, 6, 9, 14)):
        out = tmp_path / f"k{attempt}.csv"
        work = tmp_path / f"k{attempt}.csv.icop-work"
        process = subprocess.Popen([*base, "-o", str(out)])
        deadline = time.time() + 60
        while time.time() < deadline and process.poll() is None:
            journal = work / "journal.json"
            if journal.exists() and json.loads(journal.read_text() or '{"chunks": 0}')["chunks"] >= wait_chunks:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert not out.exists() or out.read_bytes() == expected  # never a partial file under the final name
        subprocess.run([*base, "-o", str(out), "--resume"], check=True)
        assert out.read_bytes() == expected, attempt


@pytest.mark.parametrize("damage", ["torn part", "missing part", "torn journal"])
def test_resume_after_a_power_cut_redoes_damaged_chunks(tmp_path, names_file, monkeypatch, damage):
    from icop.triage import output

    base = [str(names_file), "--quiet", "--chunk-size", "500"]
    run(*base, "-o", str(tmp_path / "clean.csv"))
    out, work = tmp_path / "cut.csv", tmp_path / "cut.csv.icop-work"

    def power_cut(*args, **kwargs):
        raise OSError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(output, "write", power_cut)
        assert run(*base, "-o", str(out)).exit_code != 0
    assert json.loads((work / "journal.json").read_text())["chunks"] == 12
    if damage == "torn part":
        (work / "part-000004.arrow").write_bytes(b"ARROW1")
    elif damage == "missing part":
        (work / "part-000007.arrow").unlink()
    else:
        (work / "journal.json").write_text('{"chunks": 1')
    result = run(*base, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (tmp_path / "clean.csv").read_bytes()


def test_two_workers_give_the_same_bytes(tmp_path, names_file):
    run(str(names_file), "-o", str(tmp_path / "one.csv"), "--quiet", "--chunk-size", "700")
    run(str(names_file), "-o", str(tmp_path / "two.csv"), "--quiet", "--chunk-size", "700", "--workers", "2")
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_pure_python_run_gives_the_same_bytes_as_the_compiled_run(tmp_path, names_file):
    icop = str(Path(sys.executable).with_name("icop"))
    audits = []
    for mode, env in (("compiled", "0"), ("python", "1")):
        out = tmp_path / f"{mode}.csv"
        command = [icop, "triage", str(names_file), "-o", str(out), "--model", MODEL, "--explain", "3", "--quiet"]
        subprocess.run(command, check=True, env={**os.environ, "ICOP_PURE_PYTHON": env}, capture_output=True)
        audits.append(json.loads((tmp_path / f"{mode}.csv.audit.json").read_text())["compiled_drivers"])
    assert (tmp_path / "compiled.csv").read_bytes() == (tmp_path / "python.csv").read_bytes()
    assert audits[1] is False


def test_explanations_come_from_the_scored_chunks_even_from_stdin(tmp_path, names_file):
    out = tmp_path / "o.csv"
    result = run("-", "-o", str(out), "--explain", "5", "--quiet", input=names_file.read_text())
    assert result.exit_code == 0, result.output
    cards = [json.loads(line) for line in (tmp_path / "o.csv.explanations.jsonl").read_text().splitlines()]
    assert [c["rank"] for c in cards] == [1, 2, 3, 4, 5] and {c["source"] for c in cards} == {"-"}
    ranked = {int(r["rank"]): r for r in csv.DictReader(out.read_text().splitlines())}
    assert [c["logit"] for c in cards] == [int(ranked[k]["logit"]) for k in range(1, 6)]
    assert all(c["exact_sum"]["holds"] for c in cards)


def test_a_run_empties_the_token_caches_once_scored_and_they_change_no_byte(tmp_path, names_file, default_bundle):
    from icop.scoring import BatchScorer
    from icop.text import normalize
    from icop.triage import job

    model = default_bundle.model
    texts = names_file.read_text(encoding="utf-8").splitlines()
    BatchScorer(model).score(texts)  # warm: the normaliser's caches and the matcher's
    model.integer_logits_of(normalize.normalize_batch(texts[:500]))  # and the subword encoder's

    def cached():
        featuriser = model.featuriser()
        return {
            "tokens": sum(map(len, normalize._TOKEN_CACHES)),
            "prepared": normalize._prepare.cache_info().currsize,
            "subwords": len(featuriser.subwords._cache),
            "substrings": len(featuriser.matcher._substring_cache),
        }

    assert all(cached().values()), cached()
    job.run([str(names_file)], str(tmp_path / "warm.csv"), bundle=default_bundle)
    assert cached() == {"tokens": 0, "prepared": 0, "subwords": 0, "substrings": 0}
    job.run([str(names_file)], str(tmp_path / "cold.csv"), bundle=default_bundle)
    assert (tmp_path / "warm.csv").read_bytes() == (tmp_path / "cold.csv").read_bytes()


def test_arrow_allocates_from_the_system_malloc_during_a_run_only(tmp_path, names_file, default_bundle, monkeypatch):
    import pyarrow as pa

    from icop.triage import job, output

    seen = []
    real = output.ranks
    monkeypatch.setattr(output, "ranks", lambda parts: seen.append(pa.default_memory_pool().backend_name) or real(parts))
    before = pa.default_memory_pool().backend_name
    job.run([str(names_file)], str(tmp_path / "q.csv"), bundle=default_bundle)
    assert seen == ["system"]
    assert pa.default_memory_pool().backend_name == before
