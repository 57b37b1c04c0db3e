"""The work directory of one triage output: chunk files, the journal and the lock.

Each finished chunk is written atomically (and synced) as an Arrow IPC file (zstd: scratch
space, written and read back fast), then the journal records how many chunks are done and how
far stream inputs (stdin, pipes) had been read. After a crash, resuming skips what the journal
covers (checking every chunk file it lists), so the final output is byte-identical to an
uninterrupted run.

The lock is a file holding the owner's PID and host, locked with ``flock``: the kernel releases
that lock when its process dies, however it dies, so the lock of a run that was killed is taken
over (with a note), while a live run's lock is refused. Scratch files are readable by their
owner only. A run to stdout (or to a device or pipe) works in a private temporary directory,
removed on every exit path, and folders left behind by runs killed outright are removed by the
next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather

from icop.errors import IcopError
from icop.io import tables

PART_SUFFIX = ".arrow"
PRIVATE_PREFIX = "icop-triage-"
#: A private work folder this old, whose lock nobody holds, belonged to a run that was killed.
ABANDONED_AFTER_SECONDS = 60


class TriageError(IcopError):
    """The run cannot go on (output not writable, lock held, resume mismatch...)."""


@dataclass(frozen=True)
class ResumePoint:
    chunks: int  # chunks already done
    streams: dict  # how far each stream input had been read when the last of them was made


class WorkDir:
    """Chunk files, the journal and the lock of one output (``None``: a private temporary one)."""

    def __init__(self, output: str | None, identity: dict, schema: pa.Schema):
        self.output, self.identity, self.schema = output, identity, schema
        if output is not None:
            self._place(Path(output))

    def _place(self, base: Path) -> None:
        self.path = base.with_name(base.name + ".icop-work")
        self.lock = base.with_name(base.name + ".icop-lock")

    @contextmanager
    def locked(self) -> Iterator[str | None]:
        """Hold the lock for the block; yields a note when a dead run's lock was taken over."""
        private = self.output is None
        if private:
            _remove_abandoned_private_folders()
            self._place(Path(tempfile.mkdtemp(prefix=PRIVATE_PREFIX)) / "stdout")
        try:
            fd, previous = _acquire(self.lock)
            try:
                yield None if previous is None else f"{self.lock}: took over the lock of a run that stopped ({previous})"
            finally:
                self.lock.unlink(missing_ok=True)
                os.close(fd)
        finally:
            if private:
                shutil.rmtree(self.lock.parent, ignore_errors=True)

    def start_fresh(self) -> ResumePoint:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(mode=0o700, parents=True)
        self._write_journal(0, {})
        return ResumePoint(0, {})

    def resume_point(self) -> ResumePoint:
        """The first chunk to score: after the journal's last entry, or earlier where a part file
        it lists is missing or unreadable. Refuses a journal of another input, option or model."""
        try:
            state = json.loads((self.path / "journal.json").read_text())
            done, streams = int(state["chunks"]), dict(state.get("streams", {}))
        except (OSError, ValueError, KeyError, TypeError):
            return self.start_fresh()  # no journal, or a torn one: nothing to trust
        changed = differences(state.get("identity"), self.identity)
        if changed:
            raise TriageError(
                f"{self.path}: the interrupted run used a different {', '.join(changed)}; "
                "resume with what it used, or rerun without --resume"
            )
        trusted = 0
        while trusted < done and self._readable(self._part(trusted)):
            trusted += 1
        for stale in self.path.glob("part-*" + PART_SUFFIX):
            if int(stale.stem.split("-")[1]) >= trusted:
                stale.unlink()  # written after the last trustworthy journal entry
        if trusted < done:  # the stream positions are those of the last chunk: start again
            return self.start_fresh() if any(streams.values()) else self._rewind(trusted)
        return ResumePoint(done, streams)

    def _rewind(self, done: int) -> ResumePoint:
        self._write_journal(done, {})
        return ResumePoint(done, {})

    def commit_chunk(self, index: int, table: pa.Table, streams: dict) -> None:
        with tables.atomic_path(self._part(index), private=True) as tmp:
            feather.write_feather(table, tmp, compression="zstd")
        self._write_journal(index + 1, streams)

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*" + PART_SUFFIX))

    def finish(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _part(self, index: int) -> Path:
        return self.path / f"part-{index:06d}{PART_SUFFIX}"

    def _readable(self, path: Path) -> bool:
        try:
            with pa.ipc.open_file(path) as reader:
                return reader.schema.equals(self.schema)
        except (OSError, pa.ArrowException):
            return False

    def _write_journal(self, chunks: int, streams: dict) -> None:
        with tables.atomic_path(self.path / "journal.json", private=True) as tmp:
            tmp.write_text(json.dumps({"identity": self.identity, "chunks": chunks, "streams": streams}, sort_keys=True))


def differences(before, now: dict) -> list[str]:
    """What differs between two run identities, by name (``inputs``, ``threshold``...)."""
    if not isinstance(before, dict):
        return ["icop version"]
    changed = []
    for key in sorted(set(before) | set(now)):
        old, new = before.get(key), now.get(key)
        if isinstance(old, dict) and isinstance(new, dict) and key == "options":
            changed += [name.replace("_", " ") for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
        elif old != new:
            changed.append(key.replace("_", " "))
    return changed


def remove_orphans(targets: list[str]) -> list[str]:
    """Remove the temporary files a killed run left beside ``targets`` (the output and its
    companions); call it holding the output's lock. Returns those removed."""
    removed = []
    for target in map(Path, targets):
        pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")
        for orphan in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            if pattern.fullmatch(orphan.name):
                orphan.unlink(missing_ok=True)
                removed.append(str(orphan))
    return removed


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    return feather.read_table(path, columns=columns, memory_map=False)


# --------------------------------------------------------------------------- the lock


def _acquire(lock: Path) -> tuple[int, str | None]:
    """(open descriptor holding the lock, who held it before if a run died holding it)."""
    while True:
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise TriageError(f"{lock}: cannot create the lock ({err.strerror}); is the output directory writable?") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(fd)
            os.close(fd)
            raise TriageError(f"{lock}: another icop run ({owner}) is writing this output; wait for it to end") from None
        except OSError as err:
            os.close(fd)
            raise TriageError(f"{lock}: cannot lock ({err.strerror}); write the output to a local file system") from None
        if _still_named(fd, lock):
            break
        os.close(fd)  # its owner removed it between our open and our lock: take the new one
    previous = _owner(fd) if os.fstat(fd).st_size else None
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode(), 0)
    return fd, previous


def _owner(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        if isinstance(data, int):  # older icop versions wrote the PID alone
            data = {"pid": data}
        return f"pid {data.get('pid', '?')} on host {data.get('host', '?')}"
    except (OSError, ValueError, AttributeError):
        return "owner unknown"


def _still_named(fd: int, lock: Path) -> bool:
    try:
        return os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _remove_abandoned_private_folders() -> None:
    """Private work folders of stdout runs that were killed outright (their lock is free)."""
    for folder in Path(tempfile.gettempdir()).glob(PRIVATE_PREFIX + "*"):
        with contextlib.suppress(OSError):
            info = folder.stat()
            if info.st_uid != os.getuid() or time.time() - info.st_mtime < ABANDONED_AFTER_SECONDS:
                continue
            lock = folder / "stdout.icop-lock"
            if lock.exists():
                fd = os.open(lock, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live run
                finally:
                    os.close(fd)
            shutil.rmtree(folder, ignore_errors=True)
