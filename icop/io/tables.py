"""Tabular files: Parquet and JSONL in and out, one schema for each kind of table.

Writes are atomic (a temporary file in the same folder, renamed at the end), so a crash never
leaves a half-written file under the final name. Parquet files are written with fixed settings,
so the same rows give the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from icop.errors import IcopError, InputError


class TableError(InputError):
    """A table that cannot be read as asked: names the file and what is wrong."""


class WriteError(IcopError):
    """A file that cannot be written (disk full, permissions...): names the file."""


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path next to ``path`` that replaces it only if the block succeeds."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise WriteError(
            f"cannot write ({err.strerror or err})", path=str(path), fix="check the folder exists and is writable"
        ) from err
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result should look like any new file
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(f"cannot write ({err.strerror or err})", path=str(path), fix="check free space and permissions") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parquet(columns: dict[str, list], schema: pa.Schema, path: str | Path) -> None:
    """Write column lists (in schema order) as one Parquet file, atomically and reproducibly."""
    table = pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", write_statistics=False, use_dictionary=True)


def write_jsonl(rows: Iterable[dict], path: str | Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")


def read_table(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """Read Parquet or JSONL (by extension); missing columns are named in the error."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path)
        elif path.suffix in (".jsonl", ".json"):
            table = _read_jsonl(path)
        else:
            raise TableError(f"{path}: unknown table format; use .parquet or .jsonl")
    except (pa.ArrowInvalid, OSError) as err:
        raise TableError(f"{path}: cannot read ({err})") from err
    missing = [c for c in columns or [] if c not in table.column_names]
    if missing:
        raise TableError(f"{path}: missing column(s) {missing}; it has {table.column_names}")
    return table.select(columns) if columns else table


def _read_jsonl(path: Path) -> pa.Table:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise TableError(f"{path}:{number}: not valid JSON ({err.msg})") from err
    return pa.Table.from_pylist(rows)
