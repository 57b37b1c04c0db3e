"""Command-line habits: -h, examples at the end of every help, help on every option, exit
codes as the README states them, every table format for train and evaluate, progress bars."""

import csv
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import click
import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.io import tables
from tests.conftest import DEFAULT_MODEL, ROOT


def invoke(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, prog_name="icop")


def every_command(group: click.Group = cli, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(every_command())


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "icop" for p, _ in COMMANDS])
def test_dash_h_shows_help_ending_with_examples(path, command):
    short, long = invoke(*path, "-h"), invoke(*path, "--help")
    assert short.exit_code == 0 and short.output == long.output
    assert short.output.startswith(f"Usage: icop {' '.join(path)}".rstrip())
    help_text = command.help.rstrip()
    examples = help_text[help_text.rindex("Examples:") :].splitlines()[1:]
    assert 2 <= len(examples) <= 4 and all("icop " in line for line in examples)
    assert " ".join(("icop", *path)) in examples[0]


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "icop" for p, _ in COMMANDS])
def test_every_option_has_help(path, command):
    missing = [p.name for p in command.params if isinstance(p, click.Option) and not p.help]
    assert missing == []


def test_shell_completion_is_documented_and_works():
    readme = (ROOT / "README.md").read_text()
    assert 'eval "$(_ICOP_COMPLETE=bash_source icop)"' in readme
    env = {**os.environ, "_ICOP_COMPLETE": "bash_complete", "COMP_WORDS": "icop tri", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "icop"], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["plain,triage"]


@pytest.mark.parametrize(
    "args",
    [
        ["triage", "absent.txt", "-o", "{tmp}/o.csv"],
        ["normalize", "absent.txt"],
        ["keywords", "scan", "absent.txt"],
        ["train", "--data", "absent.parquet", "--out", "{tmp}/m"],
        ["evaluate", "--data", "absent.parquet", "--out", "{tmp}/r"],
        ["verify", "absent-bundle"],
        ["audit", "verify", "absent.audit.json"],
        ["triage", "-", "-o", "{tmp}/o.csv", "--threshold", "nope"],
        ["explain", "--threshold", "nope", "IMG_0001.JPG"],
        ["triage", "-", "-o", "{tmp}/o.xlsx"],
    ],
    ids=lambda a: " ".join(a[:2]) + (" " + a[-1] if "nope" in a or a[-1].endswith("xlsx") else ""),
)
def test_missing_inputs_and_unknown_operating_points_exit_2(tmp_path, args):
    result = invoke(*[a.format(tmp=tmp_path) for a in args], input="a.mp4\n")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def corpus_tables(tmp_path_factory, small_corpus):
    """The small corpus as CSV, TSV and JSONL (list columns as JSON arrays)."""
    folder = tmp_path_factory.mktemp("formats")
    table = tables.read_table(small_corpus)
    rows = table.to_pylist()
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        with open(folder / f"corpus.{fmt}", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=table.column_names, delimiter=delimiter)
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: json.dumps(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v
                        for k, v in row.items()
                    }
                )
    tables.write_jsonl(rows, folder / "corpus.jsonl")
    return folder, rows


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_every_table_format_reads_as_the_parquet_corpus(corpus_tables, fmt):
    folder, rows = corpus_tables
    assert tables.read_table(folder / f"corpus.{fmt}").to_pylist() == rows


def test_a_list_column_that_is_not_json_names_the_column_and_the_fix(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("text,label,split,sources\na.mp4,0,train,wordfreq\n")
    with pytest.raises(tables.TableError, match=r"column 'sources' holds a value that is not list<item: string>.*JSON arrays"):
        tables.read_table(path)


def test_train_and_evaluate_take_a_tsv_corpus_like_parquet(tmp_path, corpus_tables, small_corpus):
    folder, _ = corpus_tables
    for name, data in (("parquet", small_corpus), ("tsv", folder / "corpus.tsv")):
        assert invoke("train", "--data", data, "--out", tmp_path / name, "--no-track", "--quiet").exit_code == 0
    assert (tmp_path / "parquet" / "weights.npy").read_bytes() == (tmp_path / "tsv" / "weights.npy").read_bytes()
    for name, data in (("parquet", small_corpus), ("csv", folder / "corpus.csv")):
        result = invoke("evaluate", "--model", DEFAULT_MODEL, "--data", data, "--out", tmp_path / f"r-{name}", "--quiet")
        assert result.exit_code == 0, result.output
    reports = [json.loads((tmp_path / f"r-{n}" / "report.json").read_text()) for n in ("parquet", "csv")]
    assert reports[0]["triage"] == reports[1]["triage"] and reports[0]["bias"] == reports[1]["bias"]


def test_training_reports_its_stages_to_the_progress_callback(tmp_path, small_corpus, shipped_lists):
    from icop.model import training

    heard = []
    training.train_bundle(small_corpus, tmp_path / "m", keywords=shipped_lists, progress=lambda *step: heard.append(step))
    stages = list(dict.fromkeys(stage for stage, _, _ in heard))
    assert stages == ["normalise train names", "normalise validation names", "fit", "validate", "write the bundle"]
    assert all(0 <= done <= total for _, done, total in heard)


def on_a_terminal(*args) -> str:
    """Run ``icop ARGS`` with stderr on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "icop", *map(str, args)], stderr=follower, stdout=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert process.wait(timeout=300) == 0
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_evaluate_draws_a_progress_bar_on_a_terminal_only_without_quiet(tmp_path, small_corpus):
    drawn = on_a_terminal("evaluate", "--data", small_corpus, "--out", tmp_path / "a")
    assert re.search(
        r"(score the test split|score every model for the open world|bias, robustness and the other sections|"
        r"render the HTML page): +[1-8]0%\|.*\| [1-4]/5 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+(it/s|s/it)\]",
        drawn,
    )
    assert drawn.endswith("report: " + str(tmp_path / "a" / "report.html") + f" (data: {tmp_path / 'a' / 'report.json'})\r\n")
    assert on_a_terminal("evaluate", "--data", small_corpus, "--out", tmp_path / "b", "--quiet") == ""
    piped = invoke("evaluate", "--data", small_corpus, "--out", tmp_path / "c")
    assert "it/s" not in piped.stderr and piped.stderr.startswith("report:")  # stderr is no terminal
