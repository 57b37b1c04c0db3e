"""The work directory of one triage output: chunk files, the journal and the lock.

Each finished chunk is written atomically as an Arrow IPC file (zstd: scratch space, written and
read back fast), then the journal records how many chunks are done. After a crash, resuming
skips what the journal covers (checking every chunk file it lists), so the final output is
byte-identical to an uninterrupted run. A lock file refuses a second run on the same output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather

from icop.errors import IcopError
from icop.io import tables

PART_SUFFIX = ".arrow"


class TriageError(IcopError):
    """The run cannot go on (output not writable, lock held, resume mismatch...)."""


class WorkDir:
    """Chunk files, the journal and the lock of one output (``-``: a private temporary one)."""

    def __init__(self, output: str, identity: dict, schema: pa.Schema):
        if output == "-":  # stdout runs cannot be resumed: a private temporary work directory
            base = Path(tempfile.mkdtemp(prefix="icop-triage-")) / "stdout"
        else:
            base = Path(output)
        self.path = base.with_name(base.name + ".icop-work")
        self.lock = base.with_name(base.name + ".icop-lock")
        self.identity, self.schema = identity, schema

    @contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            raise TriageError(
                f"{self.lock}: another icop run is writing this output (or one crashed: remove the lock file)"
            ) from None
        except OSError as err:
            raise TriageError(
                f"{self.lock}: cannot create the lock ({err.strerror}); is the output directory writable?"
            ) from None
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        try:
            yield
        finally:
            self.lock.unlink(missing_ok=True)

    def start_fresh(self) -> int:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self._write_journal(0)
        return 0

    def resume_point(self) -> int:
        """The first chunk to score: after the journal's last entry, or earlier where a part file
        it lists is missing or unreadable (writes are not synced, so a power cut can tear them)."""
        try:
            state = json.loads((self.path / "journal.json").read_text())
        except (OSError, ValueError):
            return self.start_fresh()  # no journal, or a torn one: nothing to trust
        if state.get("identity") != self.identity:
            raise TriageError(f"{self.path}: the interrupted run used other inputs, options or model; rerun without --resume")
        done = 0
        while done < state["chunks"] and self._readable(self._part(done)):
            done += 1
        for stale in self.path.glob("part-*" + PART_SUFFIX):
            if int(stale.stem.split("-")[1]) >= done:
                stale.unlink()  # written after the last trustworthy journal entry
        if done < state["chunks"]:
            self._write_journal(done)
        return done

    def commit_chunk(self, index: int, table: pa.Table) -> None:
        with tables.atomic_path(self._part(index)) as tmp:
            feather.write_feather(table, tmp, compression="zstd")
        self._write_journal(index + 1)

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*" + PART_SUFFIX))

    def finish(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self.path.parent.name.startswith("icop-triage-"):
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def _part(self, index: int) -> Path:
        return self.path / f"part-{index:06d}{PART_SUFFIX}"

    def _readable(self, path: Path) -> bool:
        try:
            with pa.ipc.open_file(path) as reader:
                return reader.schema.equals(self.schema)
        except (OSError, pa.ArrowException):
            return False

    def _write_journal(self, chunks: int) -> None:
        with tables.atomic_path(self.path / "journal.json") as tmp:
            tmp.write_text(json.dumps({"identity": self.identity, "chunks": chunks}, sort_keys=True))


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    return feather.read_table(path, columns=columns, memory_map=False)
