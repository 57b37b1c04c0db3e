"""Interrupted runs: a resume never mixes two inputs, two keys or two sets of options, and the
lock of a run that died is taken over.

Cases 3, 4 and 7 of docs/RELIABILITY.md, and disk full during scoring.
"""

import errno
import json
import signal
import subprocess
import sys
import time

import pytest

from tests.reliability.conftest import MODEL, icop_process, triage


@pytest.fixture
def interrupted(tmp_path, monkeypatch):
    """Run triage until every chunk is committed, then fail while writing the output (a crash)."""
    from icop.triage import output

    def run(*args, input=None):
        with monkeypatch.context() as patch:
            patch.setattr(output, "write", lambda *a: (_ for _ in ()).throw(OSError("power cut")))
            result = triage(*args, input=input)
        assert result.exit_code != 0 and (tmp_path / "out.csv.icop-work" / "journal.json").exists()

    return run


def stdin_names(start: int, n: int = 3000) -> str:
    return "".join(f"Family.Holiday.Video.{i}.mp4\n" for i in range(start, start + n))


# --------------------------------------------------------------------------- 3: stdin


def test_resume_from_stdin_refuses_another_stream(tmp_path, interrupted):
    out = tmp_path / "out.csv"
    args = ["-", "-o", out, "--chunk-size", "500", "--quiet"]
    interrupted(*args, input=stdin_names(0))
    other = triage(*args, "--resume", input=stdin_names(7))
    assert other.exit_code == 1 and "stdin: not the input of the interrupted run (other bytes)" in other.stderr
    shorter = triage(*args, "--resume", input=stdin_names(0, 100))
    assert shorter.exit_code == 1 and "stdin: ends before the point the interrupted run had reached" in shorter.stderr
    assert not out.exists()
    assert triage(*args, "--resume", input=stdin_names(0)).exit_code == 0
    assert triage("-", "-o", tmp_path / "clean.csv", "--chunk-size", "500", "--quiet", input=stdin_names(0)).exit_code == 0
    assert out.read_bytes() == (tmp_path / "clean.csv").read_bytes()


def test_resume_from_stdin_with_the_same_bytes_skips_the_scored_chunks(tmp_path, interrupted, monkeypatch):
    from icop.triage import job

    out = tmp_path / "out.csv"
    args = ["-", "-o", out, "--chunk-size", "500", "--quiet"]
    interrupted(*args, input=stdin_names(0))
    scored = []
    real = job.score_chunks

    def counting(todo, *rest):
        for item in real(todo, *rest):
            scored.append(item[0])
            yield item

    monkeypatch.setattr(job, "score_chunks", counting)
    assert triage(*args, "--resume", input=stdin_names(0)).exit_code == 0
    assert scored == []  # all six chunks were already done


# --------------------------------------------------------------------------- 4: options and keys


@pytest.mark.parametrize(
    "change, named",
    [
        ({"--threshold": "0.3"}, "--threshold"),
        ({"--redact-key-file": "KEY2"}, "redaction key"),
        ({"--key-file": "KEY2"}, "keyword key"),
        ({"--chunk-size": "400"}, "--chunk-size"),
        ({"--top-k": "5"}, "--top-k"),
    ],
)
def test_resume_with_another_key_or_option_is_refused_naming_it(tmp_path, interrupted, many_names, change, named):
    keys = {name: tmp_path / name for name in ("KEY1", "KEY2")}
    keys["KEY1"].write_bytes(b"first-redaction-key-32-bytes-long")
    keys["KEY2"].write_bytes(b"other-redaction-key-32-bytes-long")
    out = tmp_path / "out.csv"
    first = {"--redact-key-file": keys["KEY1"], "--key-file": keys["KEY1"], "--chunk-size": "500"}
    then = first | {option: keys.get(value, value) for option, value in change.items()}
    interrupted(many_names, "-o", out, "--quiet", "--redact", *[x for pair in first.items() for x in pair])
    journal = (tmp_path / "out.csv.icop-work" / "journal.json").read_bytes()
    assert b"first-redaction-key" not in journal  # only a keyed fingerprint of it
    result = triage(many_names, "-o", out, "--quiet", "--redact", *[x for pair in then.items() for x in pair], "--resume")
    assert result.exit_code == 1 and f"the interrupted run used a different {named};" in result.stderr
    assert not out.exists()


def test_resume_with_other_input_files_is_refused(tmp_path, interrupted, many_names):
    out = tmp_path / "out.csv"
    interrupted(many_names, "-o", out, "--quiet", "--chunk-size", "500")
    copy = tmp_path / "copy.txt"
    copy.write_bytes(many_names.read_bytes() + b"one.more.mp4\n")
    result = triage(copy, "-o", out, "--quiet", "--chunk-size", "500", "--resume")
    assert result.exit_code == 1 and "used a different input files" in result.stderr


# --------------------------------------------------------------------------- 7: stale locks


HOLD_LOCK = (
    "import sys, time; from icop.triage.workdir import WorkDir\n"
    "with WorkDir(sys.argv[1], {}, None).locked():\n    print('held', flush=True); time.sleep(600)\n"
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_lock_of_a_killed_run_is_taken_over_with_a_note(tmp_path, many_names, sig):
    out = tmp_path / "out.csv"
    if sig == signal.SIGKILL:  # the owner cannot clean up: its lock file stays
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline() == "held\n"
        live = triage(many_names, "-o", out)
        assert live.exit_code == 1 and f"another icop run (pid {holder.pid} on host" in live.stderr
        holder.kill()
        holder.wait()
        assert (tmp_path / "out.csv.icop-lock").exists()
        result = triage(many_names, "-o", out)
        assert result.exit_code == 0, result.output
        assert f"warning: {out}.icop-lock: took over the lock of a run that stopped (pid {holder.pid} on host" in result.stderr
    else:  # a terminated run removes its lock and keeps its chunks for --resume
        big = tmp_path / "big.txt"
        big.write_bytes(many_names.read_bytes() * 30)
        process = icop_process("triage", big, "--model", MODEL, "-o", out, "--chunk-size", "2000", "--quiet")
        journal = tmp_path / "out.csv.icop-work" / "journal.json"
        deadline = time.time() + 60
        while time.time() < deadline and not (journal.exists() and json.loads(journal.read_text() or "{}").get("chunks")):
            time.sleep(0.01)
        process.send_signal(sig)
        assert process.wait() == 128 + sig
        assert not (tmp_path / "out.csv.icop-lock").exists() and journal.exists()
        result = triage(big, "-o", out, "--chunk-size", "2000", "--resume", "--quiet")
        assert result.exit_code == 0 and result.stderr == ""


# --------------------------------------------------------------------------- disk full while scoring


def test_disk_full_during_triage_leaves_no_output_and_can_resume(tmp_path, monkeypatch, many_names):
    from icop.triage import workdir

    real_write = workdir.feather.write_feather
    calls = {"n": 0}

    def full_disk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(workdir.feather, "write_feather", full_disk)
    out = tmp_path / "o.csv"
    args = [many_names, "-o", out, "--chunk-size", "500", "--quiet"]
    result = triage(*args)
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert not out.exists() and many_names.read_text().count("\n") == 6000
    monkeypatch.setattr(workdir.feather, "write_feather", real_write)
    assert triage(*args, "--resume").exit_code == 0
    assert triage(many_names, "-o", tmp_path / "clean.csv", "--chunk-size", "500", "--quiet").exit_code == 0
    assert out.read_bytes() == (tmp_path / "clean.csv").read_bytes()
