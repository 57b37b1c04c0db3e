"""Where the output goes: never over an input, never replacing a device, committed with its audit
record, synced, and no scratch file left behind.

Cases 1, 2, 9, 12, 13, 17 and 18 (output names) of docs/RELIABILITY.md.
"""

import errno
import os
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from icop.io import tables
from tests.reliability.conftest import MODEL, audit_of, icop_process, rows, triage


@pytest.fixture
def names(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("a.mp4\nb.mp4\nc.mp4\n")
    return path


# --------------------------------------------------------------------------- 1: output over an input


def test_an_output_that_is_an_input_is_refused_before_any_work(tmp_path, names):
    before = names.read_bytes()
    result = triage(names, "-o", names)
    assert result.exit_code == 2 and f"{names}: is an input and would be overwritten by {names}" in result.stderr
    os.link(names, tmp_path / "same.csv")  # another name of the same file
    assert triage(names, "-o", tmp_path / "same.csv").exit_code == 2
    (tmp_path / "q.csv.audit.json").write_text("{}")  # an input that is what the run writes beside its output
    assert triage(names, tmp_path / "q.csv.audit.json", "-o", tmp_path / "q.csv").exit_code == 2
    assert names.read_bytes() == before and not (tmp_path / "names.txt.icop-work").exists()


# --------------------------------------------------------------------------- 2: devices and pipes


@pytest.fixture
def device(tmp_path):
    """A private copy of a character device (``null`` or ``full``): a test that fails, or runs
    against code with the bug, must never replace the system's /dev/null (as root it would)."""

    def make(name: str) -> Path:
        path = tmp_path / name
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, {"null": 3, "full": 7}[name]))
        except PermissionError:
            pytest.skip("creating a device node needs CAP_MKNOD")
        return path

    return make


def test_a_null_device_output_stays_a_device(tmp_path, names, device):
    null = device("null")
    assert triage(names, "-o", null).exit_code == 2  # a stream output: its audit record needs a name
    assert triage(names, "-o", null, "--audit", tmp_path / "a.json").exit_code == 0
    assert stat.S_ISCHR(os.stat(null).st_mode)


def test_a_full_device_is_written_directly_and_fails_clearly(tmp_path, names, device):
    full = device("full")
    result = triage(names, "-o", full, "--audit", tmp_path / "a.json")
    assert result.exit_code == 1 and f"{full}: cannot write (No space left on device)" in result.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_a_named_pipe_output_receives_the_queue_and_stays_a_pipe(tmp_path, names):
    fifo = tmp_path / "queue.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = triage(names, "-o", fifo, "--format", "csv", "--audit", tmp_path / "a.json")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert triage(names, "-o", tmp_path / "file.csv").exit_code == 0
    assert received == [(tmp_path / "file.csv").read_bytes()]
    assert not list(tmp_path.glob("queue.fifo.*"))  # no audit record or lock beside a pipe


def test_a_device_output_cannot_be_resumed_or_have_companions(names, device):
    null = device("null")
    assert "cannot be resumed" in triage(names, "-o", null, "--resume").stderr
    assert "--explain writes beside the output file" in triage(names, "-o", null, "--explain", "2").stderr
    assert stat.S_ISCHR(os.stat(null).st_mode)


def test_atomic_writes_never_replace_a_device_and_follow_links(tmp_path, device):
    null = device("null")
    with pytest.raises(tables.WriteError, match=f"{null}: is not a regular file"), tables.atomic_path(null):
        pass
    assert stat.S_ISCHR(os.stat(null).st_mode)
    target, link = tmp_path / "target.txt", tmp_path / "link.txt"
    target.write_text("old")
    link.symlink_to(target)
    with tables.atomic_path(link) as tmp:
        tmp.write_text("new")
    assert link.is_symlink() and target.read_text() == "new"


# --------------------------------------------------------------------------- 9: scratch files


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Where runs to stdout keep their scratch files, for this test alone."""
    import tempfile

    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_failed_run_to_stdout_leaves_no_scratch_files(tmp_path, names, private_tmp, monkeypatch):
    from icop.triage import output

    def fail(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(output, "ranks", fail)
    result = triage(names, "--audit", tmp_path / "a.json")
    assert result.exit_code != 0 and list(private_tmp.iterdir()) == []


def test_a_terminated_run_to_stdout_leaves_no_scratch_files(tmp_path, many_names, private_tmp):
    big = tmp_path / "big.txt"
    big.write_bytes(many_names.read_bytes() * 40)
    process = icop_process(
        "triage",
        big,
        "--model",
        MODEL,
        "--chunk-size",
        "2000",
        "--quiet",
        "--audit",
        tmp_path / "a.json",
        env={"TMPDIR": str(private_tmp)},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(private_tmp.glob("icop-triage-*/stdout.icop-work/part-*")):
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    assert process.wait() == 128 + signal.SIGTERM
    assert list(private_tmp.iterdir()) == []


def test_scratch_left_by_a_killed_run_to_stdout_is_removed_by_the_next(tmp_path, names, private_tmp):
    abandoned = private_tmp / "icop-triage-abcd1234"
    (abandoned / "stdout.icop-work").mkdir(parents=True)
    (abandoned / "stdout.icop-lock").write_text('{"pid": 999999, "host": "h"}')  # nobody holds it
    old = time.time() - 3600
    os.utime(abandoned, (old, old))
    assert triage(names, "--audit", tmp_path / "a.json").exit_code == 0
    assert list(private_tmp.iterdir()) == []


def test_scratch_files_are_private(tmp_path, names, monkeypatch):
    from icop.triage import output

    monkeypatch.setattr(output, "write", lambda *a, **k: (_ for _ in ()).throw(OSError("stop before the end")))
    out = tmp_path / "o.csv"
    triage(names, "-o", out)
    work = tmp_path / "o.csv.icop-work"
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in work.iterdir()} == {0o600}


# --------------------------------------------------------------------------- 12: output and audit together


def test_disk_full_on_the_audit_record_leaves_neither_file(tmp_path, names, monkeypatch):
    real_write_text = Path.write_text

    def full_disk(self, *args, **kwargs):
        if ".audit.json." in self.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    out = tmp_path / "o.csv"
    result = triage(names, "-o", out)
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert not out.exists() and not Path(str(out) + ".audit.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left
    monkeypatch.setattr(Path, "write_text", real_write_text)
    assert triage(names, "-o", out, "--resume").exit_code == 0
    assert len(rows(out)) == 3 and audit_of(out)["counts"]["names"] == 3


def test_files_committed_together_appear_all_or_none(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    with pytest.raises(RuntimeError), tables.committed_together():
        with tables.atomic_path(first) as tmp:
            tmp.write_text("a")
        assert not first.exists()  # not before the block ends
        raise RuntimeError("the second write fails")
    assert list(tmp_path.iterdir()) == []
    with tables.committed_together():
        for path in (first, second):
            with tables.atomic_path(path) as tmp:
                tmp.write_text(path.name)
    assert first.read_text() == "a.txt" and second.read_text() == "b.txt"


# --------------------------------------------------------------------------- 13: orphans of a killed run


KILL_AT_COMMIT = (
    "import os, sys; import icop.io.tables as t; t._commit = lambda staged: os._exit(137); "
    "from icop.cli import main; sys.argv = ['icop', *sys.argv[1:]]; main()"
)


def test_temporary_files_of_a_run_killed_while_committing_are_removed_next_time(tmp_path, names):
    out = tmp_path / "o.csv"
    args = ["triage", str(names), "--model", MODEL, "-o", str(out), "--quiet"]
    killed = subprocess.run([os.sys.executable, "-c", KILL_AT_COMMIT, *args], env={**os.environ})
    assert killed.returncode == 137
    orphans = sorted(p.name for p in tmp_path.glob(".o.csv*.tmp"))
    assert len(orphans) == 2 and not out.exists()  # the output and its audit record, never renamed
    (tmp_path / ".o.csv.notours.tmp").write_text("someone else's")
    assert triage(names, "-o", out, "--resume").exit_code == 0
    assert sorted(p.name for p in tmp_path.glob(".*.tmp")) == [".o.csv.notours.tmp"]
    assert len(rows(out)) == 3


# --------------------------------------------------------------------------- 17: fsync


def test_files_and_their_folder_are_synced_around_every_rename(tmp_path, names, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))), real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", str(a), str(b))), real_replace(a, b)))
    out = tmp_path / "o.csv"
    assert triage(names, "-o", out, "--chunk-size", "2").exit_code == 0
    renames = [(i, e[1], e[2]) for i, e in enumerate(events) if e[0] == "replace"]
    finals = {Path(b).name for _, _, b in renames}
    assert {"o.csv", "o.csv.audit.json", "journal.json", "part-000000.arrow", "part-000001.arrow"} <= finals
    for i, source, target in renames:
        assert ("fsync", source) in events[:i], target  # the file's bytes before its name
        assert ("fsync", str(Path(target).parent)) in events[i:], target  # its folder after


# --------------------------------------------------------------------------- 18: output names


def test_an_existing_directory_as_output_fails_before_any_work(tmp_path, names, monkeypatch):
    from icop.triage import job

    monkeypatch.setattr(job, "score_chunks", lambda *a: pytest.fail("scoring started"))
    result = triage(names, "-o", tmp_path)
    assert result.exit_code == 2 and f"{tmp_path}: names a directory; give a file name" in result.stderr


@pytest.mark.parametrize(
    "output, message",
    [("", "the output name is empty; give a file name, or '-' for stdout"), ("new-folder/", "new-folder/: names a directory")],
)
def test_empty_and_folder_like_output_names_are_clear_errors(tmp_path, names, monkeypatch, output, message):
    monkeypatch.chdir(tmp_path)
    result = triage(names, "-o", output)
    assert result.exit_code == 2 and f"error: {message}" in result.stderr and "Traceback" not in result.output
