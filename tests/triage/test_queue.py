"""The review queue's order and the group ranking: names, formats and score."""

import csv
import json

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.triage import groups, output
from icop.triage.chunks import RESULT_SCHEMA
from tests.conftest import DEFAULT_MODEL


def run(*args, input=None):
    return CliRunner().invoke(cli, ["triage", "--model", DEFAULT_MODEL, *map(str, args)], input=input)


def read_csv(path, delimiter=","):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.fixture(scope="module")
def names(tmp_path_factory):
    """Names with many exact ties (the same name several times), so tie order is tested."""
    path = tmp_path_factory.mktemp("queue") / "names.txt"
    path.write_text("".join(f"Family.Holiday.{i % 37}.Video.mp4\n" for i in range(3000)), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- order


def test_the_queue_is_in_rank_order_with_ties_in_input_order(tmp_path, names):
    assert run(names, "-o", tmp_path / "q.csv", "--quiet").exit_code == 0
    rows = read_csv(tmp_path / "q.csv")
    assert [int(r["rank"]) for r in rows] == list(range(1, 3001))
    keys = [(-int(r["logit"]), int(r["line"])) for r in rows]
    assert keys == sorted(keys)  # best first; equal logits keep input order
    assert 1 < len({r["logit"] for r in rows}) <= 37  # 37 distinct names, each 81 times or more: ties


def test_order_input_gives_the_same_rows_in_input_order(tmp_path, names):
    run(names, "-o", tmp_path / "ranked.csv", "--quiet")
    assert run(names, "-o", tmp_path / "input.csv", "--order", "input", "--quiet").exit_code == 0
    ranked, in_input = read_csv(tmp_path / "ranked.csv"), read_csv(tmp_path / "input.csv")
    assert [int(r["line"]) for r in in_input] == list(range(1, 3001))
    assert sorted(in_input, key=lambda r: int(r["rank"])) == ranked


def test_top_k_in_input_order(tmp_path, names):
    assert run(names, "-o", tmp_path / "top.csv", "--top-k", "40", "--order", "input", "--quiet").exit_code == 0
    rows = read_csv(tmp_path / "top.csv")
    assert sorted(int(r["rank"]) for r in rows) == list(range(1, 41))
    assert [int(r["line"]) for r in rows] == sorted(int(r["line"]) for r in rows)


def test_rank_windows_spilled_to_scratch_files_give_the_same_bytes(tmp_path, names, monkeypatch):
    """More names than a window: the queue goes through scratch files, one per window."""
    run(names, "-o", tmp_path / "one.csv", "--quiet", "--chunk-size", "700")
    run(names, "-o", tmp_path / "top.csv", "--top-k", "2500", "--quiet", "--chunk-size", "700")
    spilled = []
    real = pa.ipc.new_file
    monkeypatch.setattr(pa.ipc, "new_file", lambda path, schema: spilled.append(path) or real(path, schema))
    monkeypatch.setattr(output, "RANK_WINDOW", 997)
    run(names, "-o", tmp_path / "windows.csv", "--quiet", "--chunk-size", "700")
    assert len(spilled) == 4  # 3000 names in windows of 997
    assert (tmp_path / "windows.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    run(names, "-o", tmp_path / "top-windows.csv", "--top-k", "2500", "--quiet", "--chunk-size", "700")
    assert len(spilled) == 4 + 3
    assert (tmp_path / "top-windows.csv").read_bytes() == (tmp_path / "top.csv").read_bytes()
    assert not list(tmp_path.glob("*.icop-work"))


def logit_parts(folder, logits, cuts=(4, 7)):
    """Chunk files holding only a logit column, cut at ``cuts``."""
    parts = []
    for i, (start, end) in enumerate(zip((0, *cuts), (*cuts, len(logits)))):
        parts.append(folder / f"part{i}.arrow")
        feather.write_feather(pa.table({"logit": pa.array(logits[start:end], pa.int64())}), parts[-1])
    return parts


def test_ranks_over_several_parts_and_blocks_put_ties_in_input_order(tmp_path, monkeypatch):
    logits = [5, -3, 5, 9, 0, -3, 5, 9, 1, 0, 2]
    monkeypatch.setattr(output, "_RANK_BLOCK", 3)
    expected = [1 + sorted(range(len(logits)), key=lambda i: (-logits[i], i)).index(i) for i in range(len(logits))]
    ranked = output.ranks(logit_parts(tmp_path, logits))
    assert ranked.tolist() == expected == [3, 10, 4, 1, 8, 11, 5, 2, 7, 9, 6]
    assert ranked.dtype == np.int32  # the output's rank column stays int64 (converted per part)


def test_logits_spanning_more_than_the_packed_keys_hold_are_ranked_alike(tmp_path):
    """Logits 2**31 or more apart cannot share an int64 key with the position: ranked by argsort."""
    logits = [2**40, -(2**40), 7, 2**40, 7, -(2**40), 0]
    ranked = output.ranks(logit_parts(tmp_path, logits, cuts=(2, 5)))
    assert ranked.tolist() == [1, 6, 3, 2, 4, 7, 5]
    assert ranked.dtype == np.int32
    # A span of 2**31 - 1 is packed, 2**31 is not (its key would overflow and rank -1 first).
    assert output.ranks(logit_parts(tmp_path, [2**31 - 2, 0, -1, 2**31 - 2], cuts=(1,))).tolist() == [1, 3, 4, 2]
    assert output.ranks(logit_parts(tmp_path, [2**31 - 1, 0, -1, 2**31 - 1], cuts=(1,))).tolist() == [1, 3, 4, 2]


def test_no_names_have_no_ranks(tmp_path):
    assert output.ranks([]).tolist() == []
    assert output.ranks(logit_parts(tmp_path, [], cuts=())).tolist() == []


def test_many_windows_are_capped_at_max_spills(tmp_path, names, monkeypatch):
    spilled = []
    real = pa.ipc.new_file
    monkeypatch.setattr(pa.ipc, "new_file", lambda path, schema: spilled.append(path) or real(path, schema))
    monkeypatch.setattr(output, "RANK_WINDOW", 10)
    monkeypatch.setattr(output, "MAX_SPILLS", 7)
    run(names, "-o", tmp_path / "capped.csv", "--quiet")
    run(names, "-o", tmp_path / "plain.csv", "--quiet", "--order", "input")
    assert len(spilled) == 7  # windows of ceil(3000 / 7) = 429 names, not 300 windows of 10
    assert sorted(read_csv(tmp_path / "capped.csv"), key=lambda r: int(r["line"])) == read_csv(tmp_path / "plain.csv")


# --------------------------------------------------------------------------- output names


def test_an_unknown_output_extension_is_a_usage_error(tmp_path, names):
    result = run(names, "-o", tmp_path / "z.xlsx")
    assert result.exit_code == 2
    assert (
        f"{tmp_path / 'z.xlsx'}: unknown output format '.xlsx'; name the file with .csv, .tsv, .jsonl, .parquet" in result.stderr
    )
    assert list(tmp_path.iterdir()) == []
    assert run(names, "-o", tmp_path / "z.xlsx", "--format", "tsv", "--quiet").exit_code == 0  # said explicitly
    assert read_csv(tmp_path / "z.xlsx", "\t")[0]["rank"] == "1"


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A table of names with a sharer column: 40 names in s1, 3 in s2, 1 in s3."""
    path = tmp_path_factory.mktemp("groups") / "shares.csv"
    rows = [(f"Family.Holiday.{i}.mp4", "s1") for i in range(40)] + [(f"IMG_{i}.JPG", "s2") for i in range(3)]
    path.write_text("text,sharer\n" + "".join(f"{t},{s}\n" for t, s in [*rows, ("Lecture.01.pdf", "s3")]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "out, expected, fmt",
    [
        ("o.csv", "o.groups.csv", "csv"),
        ("o.tsv", "o.groups.tsv", "tsv"),
        ("o.jsonl", "o.groups.jsonl", "jsonl"),
        ("o.parquet", "o.groups.parquet", "parquet"),
        ("queue", "queue.groups.csv", "csv"),
    ],
)
def test_the_group_file_is_named_from_the_output_in_its_format(tmp_path, table, out, expected, fmt):
    assert run(table, "-o", tmp_path / out, "--group-by", "sharer", "--quiet").exit_code == 0
    written = tmp_path / expected
    if fmt == "parquet":
        found = pq.read_table(written).to_pylist()
    elif fmt == "jsonl":
        found = [json.loads(line) for line in written.read_text().splitlines()]
    else:
        found = read_csv(written, "\t" if fmt == "tsv" else ",")
    assert [str(g["group"]) for g in found] and sorted(str(g["group"]) for g in found) == ["s1", "s2", "s3"]
    assert [str(g["names"]) for g in sorted(found, key=lambda g: str(g["group"]))] == ["40", "3", "1"]
    assert list(found[0]) == list(groups.GROUP_COLUMNS)
    audit = json.loads((tmp_path / f"{out}.audit.json").read_text())
    assert [(c["role"], c["path"], c["format"]) for c in audit["companions"]] == [("groups", expected, fmt)]


def test_groups_output_names_the_file_and_its_format(tmp_path, table):
    result = run(table, "-o", tmp_path / "o.csv", "--group-by", "sharer", "--groups-output", tmp_path / "g.parquet", "--quiet")
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "g.parquet").num_rows == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.parquet", "o.csv", "o.csv.audit.json"]


def test_groups_with_stdout_need_a_groups_output_and_nothing_lands_in_the_working_folder(tmp_path, table, monkeypatch):
    monkeypatch.chdir(tmp_path)
    audit = tmp_path / "run.audit.json"
    refused = run(table, "--group-by", "sharer", "--audit", audit)
    assert refused.exit_code == 2 and "--group-by with the output going to stdout needs --groups-output FILE" in refused.stderr
    assert list(tmp_path.iterdir()) == []
    result = run(table, "--group-by", "sharer", "--audit", audit, "--groups-output", tmp_path / "g.tsv", "--quiet")
    assert result.exit_code == 0 and result.stdout.startswith('"source","line"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.tsv", "run.audit.json"]
    assert run(table, "-o", tmp_path / "o.csv", "--groups-output", tmp_path / "x.csv").exit_code == 2  # no --group-by


# --------------------------------------------------------------------------- group score


def part(tmp_path, name, rows):
    """A scored chunk file: rows of (group, probability, decision)."""
    n = len(rows)
    columns = {
        "source": ["s"] * n,
        "line": list(range(n)),
        "id": [None] * n,
        "name": ["x"] * n,
        "group": [g for g, _, _ in rows],
        "probability": [p for _, p, _ in rows],
        "logit": [0] * n,
        "decision": [d for _, _, d in rows],
        "keyword_ids": [""] * n,
    }
    path = tmp_path / name
    feather.write_feather(pa.table(columns, schema=RESULT_SCHEMA), path)
    return path


def test_large_groups_still_rank_by_their_flagged_names(tmp_path):
    """Noisy-OR would give both big groups 1.0; the flagged count tells 40 from 2."""
    big = [("big", 0.95, 1)] * 40 + [("big", 0.01, 0)] * 960
    few = [("few", 0.999, 1), ("few", 0.99, 1)] + [("few", 0.5, 0)] * 100
    quiet = [("quiet", 0.4, 0), ("quiet", 0.3, 0), ("quiet", 0.2, 0), ("quiet", 0.1, 0)]
    lone = [("lone", 0.35, 0)]
    parts = [part(tmp_path, "a.arrow", big[:500] + few[:50]), part(tmp_path, "b.arrow", big[500:] + few[50:] + quiet + lone)]
    ranked = groups.ranked_groups(parts).to_pylist()
    assert [g["group"] for g in ranked] == ["big", "few", "lone", "quiet"]
    assert [g["rank"] for g in ranked] == [1, 2, 3, 4]
    assert [(g["names"], g["flagged"]) for g in ranked] == [(1000, 40), (102, 2), (1, 0), (4, 0)]
    assert ranked[0]["top3_mean"] == pytest.approx(0.95) and ranked[0]["max"] == 0.95
    assert ranked[1]["top3_mean"] == pytest.approx((0.999 + 0.99 + 0.5) / 3)
    assert ranked[2]["top3_mean"] == 0.35  # one name: its own probability
    assert ranked[3]["top3_mean"] == pytest.approx(0.3) and ranked[3]["mean"] == pytest.approx(0.25)
    assert ranked[0]["mean"] == pytest.approx((40 * 0.95 + 960 * 0.01) / 1000)
    noisy_or = {g: 1 - np.prod([1 - p for x, p, _ in big + few if x == g]) for g in ("big", "few")}
    assert noisy_or["big"] == noisy_or["few"] == 1.0  # why noisy-OR was replaced


def test_equal_groups_are_ordered_by_their_name(tmp_path):
    ranked = groups.ranked_groups([part(tmp_path, "a.arrow", [("b", 0.2, 0), ("a", 0.2, 0), (None, 0.2, 0)])]).to_pylist()
    assert [g["group"] for g in ranked] == ["", "a", "b"]  # names without a group value form the group ''
