"""Tabular files: Parquet and JSONL in and out, one schema for each kind of table.

Writes are atomic (a temporary file in the same folder, synced, renamed at the end), so a crash
never leaves a half-written file under the final name. Parquet files are written with fixed settings,
so the same rows give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from icop.errors import IcopError, InputError


class TableError(InputError):
    """A table that cannot be read as asked: names the file and what is wrong."""


class WriteError(IcopError):
    """A file that cannot be written (disk full, permissions...): names the file."""


@contextmanager
def atomic_path(path: str | Path, *, private: bool = False) -> Iterator[Path]:
    """A temporary path next to ``path`` that replaces it only if the block succeeds.

    The new file is synced to disk before the rename and its folder after it, so that after a
    crash or power cut the name holds either the old file or the whole new one. Inside
    :func:`committed_together`, the rename waits for the end of that block. ``private`` keeps
    the file readable by its owner only (scratch files); a symbolic link is followed (the link
    stays), and a path that is not a regular file (a device, a pipe) is never replaced.
    """
    path = _real_target(Path(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise WriteError(
            f"cannot write ({err.strerror or err})", path=str(path), fix="check the folder exists and is writable"
        ) from err
    os.close(fd)
    if not private:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result should look like any new file
    staged = _STAGED.get()
    try:
        yield Path(tmp)
        _fsync(tmp)
        if staged is not None:
            staged.append((Path(tmp), path))
            return
        os.replace(tmp, path)
        _fsync(path.parent)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(f"cannot write ({err.strerror or err})", path=str(path), fix="check free space and permissions") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: The writes of the innermost :func:`committed_together` block: (temporary file, final path).
_STAGED: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("icop_staged_writes", default=None)


@contextmanager
def committed_together() -> Iterator[None]:
    """Files written with :func:`atomic_path` in this block appear together when it succeeds
    (the first one written appears last), and none does when it fails."""
    staged: list[tuple[Path, Path]] = []
    token = _STAGED.set(staged)
    try:
        yield
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        _STAGED.reset(token)
    _commit(staged)


def _commit(staged: list[tuple[Path, Path]]) -> None:
    done: list[Path] = []
    path = None
    try:
        for tmp, path in reversed(staged):
            os.replace(tmp, path)
            done.append(path)
        for folder in {target.parent for _, target in staged}:
            _fsync(folder)
    except OSError as err:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for target in done:  # they describe a file that could not be written: none or all
            target.unlink(missing_ok=True)
        raise WriteError(f"cannot write ({err.strerror or err})", path=str(path), fix="check free space and permissions") from err


def _real_target(path: Path) -> Path:
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise WriteError(f"is {kind}; it is never replaced", path=str(path), fix="give the name of a file")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_parquet(columns: dict[str, list], schema: pa.Schema, path: str | Path) -> None:
    """Write column lists (in schema order) as one Parquet file, atomically and reproducibly."""
    table = pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", write_statistics=False, use_dictionary=True)


def write_jsonl(rows: Iterable[dict], path: str | Path) -> str:
    """Write one JSON object per line, atomically; returns the SHA-256 of the file."""
    digest = hashlib.sha256()
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        for row in rows:
            line = (json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
            digest.update(line)
            out.write(line)
    return digest.hexdigest()


def read_table(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """Read Parquet, JSONL, CSV or TSV (by extension); missing columns are named in the error.

    CSV and TSV cells are text, except in the columns of icop's corpus schema
    (icop/synth/schema.py), which get their type: ``label`` a number, ``informative`` true or
    false, and the list columns (``sources``, ``groups``...) a JSON array such as ``["a", "b"]``.
    """
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path)
        elif path.suffix in (".jsonl", ".json"):
            table = _read_jsonl(path)
        elif path.suffix in (".csv", ".tsv"):
            table = _read_delimited(path, "\t" if path.suffix == ".tsv" else ",")
        else:
            raise TableError(f"{path}: unknown table format; use .parquet, .jsonl, .csv or .tsv")
    except (pa.ArrowInvalid, OSError) as err:
        raise TableError(f"{path}: cannot read ({err})") from err
    missing = [c for c in columns or [] if c not in table.column_names]
    if missing:
        raise TableError(f"{path}: missing column(s) {missing}; it has {table.column_names}")
    return table.select(columns) if columns else table


def _read_delimited(path: Path, delimiter: str) -> pa.Table:
    import pyarrow.csv as pa_csv

    from icop.synth.schema import CORPUS_SCHEMA

    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    table = pa_csv.read_csv(
        path,
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False),
    )
    for name in set(table.column_names) & set(CORPUS_SCHEMA.names):
        field = CORPUS_SCHEMA.field(name)
        if field.type != pa.string():
            table = table.set_column(table.schema.get_field_index(name), name, _typed(path, name, table.column(name), field.type))
    return table


def _typed(path: Path, name: str, column: pa.ChunkedArray, kind: pa.DataType) -> pa.Array:
    """A text column of a CSV/TSV table in the corpus schema's type (module docstring)."""
    values = column.to_pylist()
    try:
        if pa.types.is_list(kind):
            return pa.array([json.loads(v) if v else [] for v in values], kind)
        if pa.types.is_boolean(kind):
            return pa.array([{"true": True, "false": False, "1": True, "0": False}[v.strip().lower()] for v in values], kind)
        return pa.array([int(v) for v in values], kind)
    except (ValueError, KeyError, TypeError, pa.ArrowException) as err:
        raise TableError(
            f"{path}: column {name!r} holds a value that is not {kind} ({err})",
            fix='list columns take JSON arrays such as ["a", "b"]' if pa.types.is_list(kind) else None,
        ) from err


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
