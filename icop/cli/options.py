"""Options shared by several commands, defined once (sqlite-utils style decorators)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from icop import resources
from icop.io.streams import ERROR_POLICIES
from icop.model.calibration import DEFAULT_POINT

MIN_KEY_BYTES = 16
#: Where ``icop train`` and ``icop evaluate --track`` log (icop/integrations/tracking.py).
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


def input_options(func):
    """INPUTS (files or '-'), --column and --errors."""
    func = click.option(
        "--errors",
        type=click.Choice(ERROR_POLICIES),
        default="replace",
        show_default=True,
        help="Lines that are not UTF-8: decode with fallback and count (replace), report and leave out (skip), or stop (strict).",
    )(func)
    func = click.option("--column", help="Name column of CSV/TSV/JSONL/Parquet inputs (default: text).")(func)
    return click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))(func)


def model_option(func):
    return click.option(
        "--model",
        "model_path",
        default=resources.path(resources.MODEL),
        show_default="the shipped default model",
        type=click.Path(exists=True),
        help="Model bundle (directory or zip).",
    )(func)


def threshold_option(func):
    return click.option(
        "--threshold",
        default=DEFAULT_POINT,
        show_default=True,
        callback=lambda ctx, param, value: _threshold(value),
        help="A named operating point of the bundle (e.g. best_f1, recall_0.95, fpr_0.001), or a probability.",
    )(func)


def keyword_key_option(func):
    return click.option(
        "--key-file",
        "key",
        type=click.Path(exists=True, dir_okay=False),
        callback=lambda ctx, param, value: read_key(value),
        help="File holding the key of hashed keyword lists.",
    )(func)


def lists_option(func):
    return click.option(
        "--lists",
        "list_paths",
        multiple=True,
        type=click.Path(exists=True),
        help="Keyword list files or directories (default: the shipped SURROGATE lists).",
    )(func)


def quiet_option(func):
    return click.option("--quiet", "-q", is_flag=True, help="No progress, warnings or summary on stderr.")(func)


def seed_option(func):
    return click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")(func)


def tracking_uri_option(func):
    return click.option(
        "--tracking-uri",
        default=DEFAULT_TRACKING_URI,
        show_default=True,
        help="MLflow store; a SQLite store keeps its artifacts in mlartifacts/ beside the database.",
    )(func)


@contextmanager
def progress_bar(quiet: bool) -> Iterator:
    """A progress callback ``(stage, done, total)`` drawn as a bar with rate and ETA on stderr,
    silent with --quiet or when stderr is not a terminal. The bar starts again when a stage
    counts other steps (another total, or fewer done); otherwise it goes on, named by the stage."""
    from tqdm import tqdm

    bars: list = []

    def update(stage: str, done: int, total: int) -> None:
        if not bars or bars[-1].total != total or done < bars[-1].n:
            if bars:
                bars.pop().close()
            bars.append(tqdm(total=total, file=sys.stderr, disable=True if quiet else None, leave=False, dynamic_ncols=True))
        bars[-1].set_description(stage, refresh=False)
        bars[-1].update(done - bars[-1].n)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def keyword_lists(list_paths: tuple[str, ...]):
    from icop import keywords

    return keywords.load(list_paths or [resources.path(resources.KEYWORDS)])


def read_key(key_file: str | None) -> bytes | None:
    if key_file is None:
        return None
    key = Path(key_file).read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise click.BadParameter(f"{key_file}: key shorter than {MIN_KEY_BYTES} bytes; use at least 32 random bytes")
    return key


def _threshold(value: str) -> str | float:
    try:
        return float(value)
    except ValueError:
        return value
