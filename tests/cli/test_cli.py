import json

import pytest
from click.testing import CliRunner

from icop.cli import cli
from tests.conftest import ROOT, term


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_normalize_tsv_and_jsonl_from_stdin():
    result = run("normalize", "--quiet", input="W3dd1ng.V1de0.mp4\nIMG_1234.JPG\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "source\tline\text\tnorm\tfold\tskel\tobfuscation"
    assert lines[1] == '-\t1\tmp4\tw3dd1ng v1de0\tw3dd1ng v1de0\twedding video\t{"leet": 4}'
    result = run("normalize", "--format", "jsonl", "--quiet", input="ｶﾗｵｹ\n")
    assert json.loads(result.stdout) == {
        "ext": "",
        "fold": "カラオケ",
        "line": 1,
        "norm": "カラオケ",
        "obfuscation": {},
        "skel": "カラオケ",
        "source": "-",
    }


def test_bad_lines_are_reported_on_stderr_with_line_numbers(tmp_path):
    path = tmp_path / "names.txt"
    path.write_bytes(b"good.mp4\nbad\xff.mp4\n")
    result = run("normalize", str(path))
    assert result.exit_code == 0
    assert f"warning: {path}:2: invalid UTF-8 at byte 3; 1 bytes replaced" in result.stderr
    strict = run("normalize", "--errors", "strict", str(path))
    assert strict.exit_code == 2
    assert f"error: {path}:2: invalid UTF-8" in strict.stderr
    assert "Traceback" not in strict.output


def test_missing_input_fails_before_any_output(tmp_path):
    result = run("keywords", "scan", str(tmp_path / "absent.txt"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "absent.txt: no such file" in result.stderr


def test_usage_errors_exit_2():
    assert run("normalize", "--errors", "bogus").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_keywords_validate_stats_and_scan(lexicon):
    assert run("keywords", "validate").stdout.startswith("ok: 495 entries (plain, SURROGATE)")
    stats = run("keywords", "stats").stdout.splitlines()
    assert stats[0] == "lang\tcategory\tmatch\tentries" and stats[-1] == "total\t\t\t495"
    marker = term(lexicon, "ja")
    scan = run("keywords", "scan", "--quiet", input=f"IMG_1.JPG\nドラマ{marker.term}第1話\n")
    rows = scan.stdout.splitlines()
    assert rows[1:] == [f"-\t2\t{marker.id}\t{marker.category}\tfold\t3\t{3 + len(marker.term)}"]
    assert marker.term not in scan.output  # terms are never printed


def test_keywords_hash_then_scan_with_the_key(tmp_path, lexicon):
    key = tmp_path / "key"
    key.write_bytes(b"a-secret-key-of-32-bytes-length!")
    hashed_dir = tmp_path / "hashed"
    hashed_dir.mkdir()
    for path in sorted((ROOT / "keywords").glob("*.tsv")):
        result = run("keywords", "hash", "--key-file", str(key), str(path))
        assert result.exit_code == 0
        (hashed_dir / path.name).write_text(result.stdout, encoding="utf-8")
    marker = term(lexicon, "vi")
    names = f"x\n{marker.term}.mp4\n"
    plain = run("keywords", "scan", "--quiet", input=names).stdout
    hashed = run("keywords", "scan", "--quiet", "--lists", str(hashed_dir), "--key-file", str(key), input=names)
    assert hashed.exit_code == 0 and hashed.stdout == plain and marker.id in plain
    no_key = run("keywords", "scan", "--lists", str(hashed_dir), input=names)
    assert no_key.exit_code == 2 and "give the key" in no_key.stderr


def test_invalid_list_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        "# icop keyword list v1\nid\tterm\tlang\tcategory\tweight\tmatch\tsource\tadded\nx\tqazvex\tzz\ta\t1\ttoken\ts\t\n"
    )
    result = run("keywords", "validate", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3: unknown language 'zz'" in result.stderr


def test_version_says_whether_the_compiled_drivers_run():
    from icop.compiled import DRIVERS

    assert run("--version").output.strip().endswith(f"(compiled drivers: {'yes' if DRIVERS.compiled else 'no'})")


@pytest.mark.parametrize("args", [["--help"], ["triage", "--help"], ["keywords", "scan", "--help"], ["--version"]])
def test_help_and_version_exit_zero(args):
    result = run(*args)
    assert result.exit_code == 0 and "Error" not in result.output
