"""The audit record: one schema from every path, what it holds (and never holds), and
``icop audit verify``."""

import getpass
import hashlib
import json
import shutil
import socket
from datetime import UTC, datetime, timedelta

import jsonschema
import numpy
import pytest
from click.testing import CliRunner

from icop import __version__, resources
from icop.cli import cli
from icop.keywords.hashing import key_check_value
from icop.model import bundle
from tests.conftest import DEFAULT_MODEL

SCHEMA = json.loads(resources.read_text("audit.schema.json"))
NAMES = ["Family.Holiday.2019.mkv", "IMG_0001.JPG", "Lecture.Notes.Week3.pdf"]


def icop(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.fixture
def case(tmp_path):
    """A case folder: a table of names with a sharer column, two keys."""
    names = tmp_path / "names.csv"
    names.write_text("text,sharer\n" + "".join(f"{n},u{i % 2}\n" for i, n in enumerate(NAMES)), encoding="utf-8")
    redaction, keyword = tmp_path / "redact.key", tmp_path / "lists.key"
    redaction.write_bytes(b"a-redaction-key-of-32-bytes-long")
    keyword.write_bytes(b"a-keyword-list-key-of-32-bytes!!")
    return tmp_path, names, redaction, keyword


def full_run(case, *extra):
    folder, names, redaction, keyword = case
    model = folder / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    result = icop(
        "triage", names, "--model", model, "-o", folder / "q.csv", "--group-by", "sharer", "--explain", "2",
        "--redact", "--redact-key-file", redaction, "--key-file", keyword, "--quiet", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((folder / "q.csv.audit.json").read_text())


def test_a_file_run_records_who_where_when_what_and_the_hashes(case):
    folder, names, redaction, keyword = case
    before = datetime.now(UTC).replace(microsecond=0)
    record = full_run(case)
    jsonschema.validate(record, SCHEMA)
    created = datetime.strptime(record["created_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=1)
    assert record["host"] == socket.gethostname() and record["operator"] == getpass.getuser()
    assert record["engine"] == "icop triage"
    assert record["versions"]["icop"] == __version__ and record["versions"]["numpy"] == numpy.__version__
    assert record["model"] == {"path": "model", "manifest_sha256": bundle.load(folder / "model").digest}
    assert record["inputs"] == [{"path": "names.csv", "kind": "file", "sha256": sha256(names)}]
    assert record["output"] == {"path": "q.csv", "kind": "file", "format": "csv", "sha256": sha256(folder / "q.csv")}
    assert record["companions"] == [
        {"role": "explanations", "path": "q.csv.explanations.jsonl", "kind": "file", "format": "jsonl",
         "sha256": sha256(folder / "q.csv.explanations.jsonl")},
        {"role": "groups", "path": "q.groups.csv", "kind": "file", "format": "csv", "sha256": sha256(folder / "q.groups.csv")},
    ]  # fmt: skip
    assert record["keys"] == {
        "redaction_key_fingerprint": key_check_value(redaction.read_bytes()),
        "keyword_key_fingerprint": key_check_value(keyword.read_bytes()),
    }
    assert record["counts"]["names"] == 3 and record["options"]["redact"] is True


def test_the_record_holds_no_scored_name_and_no_key(case):
    folder, _, redaction, keyword = case
    text = json.dumps(full_run(case))
    assert not [n for n in NAMES if n in text]
    assert redaction.read_text() not in text and keyword.read_text() not in text


def test_operator_is_recorded_as_given(case):
    assert full_run(case, "--operator", "analyst 7")["operator"] == "analyst 7"


def test_a_run_to_stdout_needs_audit_and_records_the_bytes_it_wrote(tmp_path):
    refused = icop("triage", "-", "--model", DEFAULT_MODEL, input="a.mp4\n")
    assert refused.exit_code == 2
    assert "the output goes to stdout: give --audit FILE for the run's audit record" in refused.stderr
    audit = tmp_path / "case" / "run.audit.json"
    result = icop("triage", "-", "--model", DEFAULT_MODEL, "--audit", audit, "--quiet", input="".join(n + "\n" for n in NAMES))
    assert result.exit_code == 0, result.output
    record = json.loads(audit.read_text())
    jsonschema.validate(record, SCHEMA)
    assert record["output"] == {
        "path": "-",
        "kind": "stream",
        "format": "csv",
        "sha256": hashlib.sha256(result.stdout_bytes).hexdigest(),
    }
    assert record["inputs"] == [
        {"path": "-", "kind": "stream", "sha256": hashlib.sha256("".join(n + "\n" for n in NAMES).encode()).hexdigest()}
    ]
    saved = tmp_path / "queue.csv"
    saved.write_bytes(result.stdout_bytes)
    checked = icop("audit", "verify", audit, "--output", saved)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.splitlines()[:2] == [
        "not re-hashable\tinput 1\t-\tread or written as a stream; recorded sha256 " + record["inputs"][0]["sha256"],
        "match\toutput\t../queue.csv",
    ]


def test_audit_at_a_path_of_its_own(case):
    folder, names, _, _ = case
    result = icop(
        "triage", names, "--model", DEFAULT_MODEL, "-o", folder / "q.csv", "--audit", folder / "records" / "r1.json", "--quiet"
    )
    assert result.exit_code == 0, result.output
    assert not (folder / "q.csv.audit.json").exists()
    record = json.loads((folder / "records" / "r1.json").read_text())
    assert record["output"]["path"] == str(folder / "q.csv")  # outside the record's folder: absolute
    assert icop("audit", "verify", folder / "records" / "r1.json").exit_code == 0


def test_verify_says_match_then_mismatch_and_missing_item_by_item(case):
    folder, names, _, _ = case
    full_run(case)
    record = folder / "q.csv.audit.json"
    ok = icop("audit", "verify", record)
    assert ok.exit_code == 0
    assert [line.split("\t")[:3] for line in ok.stdout.splitlines()] == [
        ["match", "input 1", "names.csv"],
        ["match", "output", "q.csv"],
        ["match", "explanations", "q.csv.explanations.jsonl"],
        ["match", "groups", "q.groups.csv"],
        ["match", "model bundle", "model"],
    ]
    moved = folder.parent / "moved-case"
    shutil.move(folder, moved)  # the case folder moves as a whole
    assert icop("audit", "verify", moved / "q.csv.audit.json").exit_code == 0
    with open(moved / "q.csv", "a") as handle:
        handle.write("edited\n")
    (moved / "q.groups.csv").unlink()
    weights = moved / "model" / "weights.npy"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x01")
    bad = icop("audit", "verify", moved / "q.csv.audit.json")
    assert bad.exit_code == 1 and "3 of 5 items no longer match the audit record" in bad.stderr
    statuses = {line.split("\t")[1]: line.split("\t")[0] for line in bad.stdout.splitlines()}
    assert statuses == {
        "input 1": "match",
        "output": "mismatch",
        "explanations": "match",
        "groups": "missing",
        "model bundle": "mismatch",
    }


def test_verify_refuses_a_file_that_is_not_a_record(tmp_path):
    other = tmp_path / "x.json"
    other.write_text('{"a": 1}')
    result = icop("audit", "verify", other)
    assert result.exit_code == 2 and "not an icop audit record" in result.stderr


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("dataset") / "names"
    root.mkdir()
    for i in range(2):
        pq.write_table(pa.table({"id": [f"{i}-{j}" for j in range(3)], "text": NAMES}), root / f"part-{i}.parquet")
    return root


def test_the_dask_path_writes_the_same_record(tmp_path, dataset):
    pytest.importorskip("distributed")
    from icop.integrations.dask import score_parquet

    out = score_parquet(
        str(dataset / "*.parquet"), DEFAULT_MODEL, str(tmp_path / "scored"), workers=1, memory_limit="1GiB", operator="dask-op"
    )
    record = json.loads((tmp_path / "scored.audit.json").read_text())
    jsonschema.validate(record, SCHEMA)
    assert record["engine"] == "dask" and record["operator"] == "dask-op" and "distributed" in record["versions"]
    assert [i["path"] for i in record["inputs"]] == [str(dataset / "part-0.parquet"), str(dataset / "part-1.parquet")]
    assert record["inputs"][0]["sha256"] == sha256(dataset / "part-0.parquet")
    assert record["output"]["kind"] == "directory" and record["output"]["path"] == "scored"
    assert record["counts"]["names"] == 6
    assert icop("audit", "verify", tmp_path / "scored.audit.json").exit_code == 0
    extra = tmp_path / "scored" / "extra.parquet"
    shutil.copy(next((tmp_path / "scored").glob("*.parquet")), extra)  # a file added to the dataset
    assert icop("audit", "verify", tmp_path / "scored.audit.json").exit_code == 1
    assert out == str(tmp_path / "scored")
