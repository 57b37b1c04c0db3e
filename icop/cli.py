"""The ``icop`` command: a thin Click layer that parses, calls the library and reports.

Data goes to stdout, messages to stderr. Exit codes: 0 ok, 1 data or runtime error, 2 usage.
Errors are one line naming the file, the line and the fix; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path

import click

from icop import __version__, keywords, streams
from icop.normalize import normalize

# Offline by default (SAFETY.md rule 7): no dependency may phone home from a CLI process.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

DEFAULT_KEYWORDS = str(files("icop.resources").joinpath("keywords"))
_KNOWN_ERRORS = (streams.InputError, keywords.KeywordListError, OSError)


class IcopGroup(click.Group):
    """Turns known errors into one clear line and exit code 1 (traceback only with --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _KNOWN_ERRORS as err:
            if ctx.meta.get("icop.debug"):
                raise
            raise click.ClickException(str(err)) from None


@click.group(cls=IcopGroup)
@click.version_option(__version__, prog_name="icop")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """icop: offline multilingual triage of P2P filenames (research tool; synthetic data only)."""
    ctx.meta["icop.debug"] = debug


def _input_options(func):
    func = click.option(
        "--errors",
        type=click.Choice(streams.ERROR_POLICIES),
        default="replace",
        show_default=True,
        help="Lines that are not UTF-8: decode with fallback and count (replace), report and leave out (skip), or stop (strict).",
    )(func)
    return click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))(func)


def _names(inputs: tuple[str, ...], errors: str, stats: streams.ReadStats):
    for source in inputs or ("-",):
        with streams.open_input(source) as handle:
            yield from ((source, name) for name in streams.read_names(handle, source, errors, stats))


def _report(stats: streams.ReadStats, quiet: bool, summary: str) -> None:
    if quiet:
        return
    for problem in stats.problems[:20]:
        click.echo(f"warning: {problem}", err=True)
    if len(stats.problems) > 20:
        click.echo(f"warning: ... and {len(stats.problems) - 20} more", err=True)
    click.echo(summary, err=True)


def _check_inputs(inputs: tuple[str, ...]) -> None:
    """Fail before any work if an input file is missing."""
    for source in inputs:
        if source != "-" and not Path(source).is_file():
            raise streams.InputError(f"{source}: no such file; check the path")


# --------------------------------------------------------------------------- normalize


@cli.command("normalize")
@_input_options
@click.option("--format", "fmt", type=click.Choice(["tsv", "jsonl"]), default="tsv", show_default=True)
@click.option("--quiet", is_flag=True, help="No warnings or summary on stderr.")
def normalize_command(inputs, errors, fmt, quiet):
    """Normalise names (one per line; '-' or nothing reads stdin) into every view."""
    _check_inputs(inputs)
    stats = streams.ReadStats()
    fields = ["source", "line", "ext", "norm", "fold", "skel"]
    if fmt == "tsv":
        click.echo("\t".join(fields + ["obfuscation"]))
    for source, name in _names(inputs, errors, stats):
        n = normalize(name.raw)
        obfuscation = {k: v for k, v in n.obfuscation._asdict().items() if v}
        row = dict(zip(fields, [source, name.line, n.ext, n.norm, n.fold, n.skel]))
        if fmt == "jsonl":
            click.echo(json.dumps({**row, "obfuscation": obfuscation}, ensure_ascii=False, sort_keys=True))
        else:
            cells = [str(v) for v in row.values()] + [json.dumps(obfuscation, sort_keys=True)]
            click.echo("\t".join(cells))
    _report(stats, quiet, f"normalised {stats.lines - stats.skipped} names")


# --------------------------------------------------------------------------- keywords


@cli.group("keywords")
def keywords_group():
    """Validate, hash, describe and scan with keyword lists (see keywords/README.md)."""


def _lists_argument(func):
    return click.option(
        "--lists",
        "list_paths",
        multiple=True,
        type=click.Path(exists=True),
        help="Keyword list files or directories (default: the shipped SURROGATE lists).",
    )(func)


def _read_key(key_file: str | None) -> bytes | None:
    if key_file is None:
        return None
    key = Path(key_file).read_bytes().strip()
    if len(key) < 16:
        raise keywords.KeywordListError([f"{key_file}: key shorter than 16 bytes; use at least 32 random bytes"])
    return key


@keywords_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def keywords_validate(paths):
    """Check list files; every problem is reported with file, line and fix."""
    kl = keywords.load(paths or [DEFAULT_KEYWORDS])
    kind = "hashed" if kl.hashed else "plain"
    label = "SURROGATE" if kl.surrogate else "partner"
    click.echo(f"ok: {len(kl.entries)} entries ({kind}, {label}); sha256 {kl.sha256}")


@keywords_group.command("hash")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--key-file", required=True, type=click.Path(exists=True, dir_okay=False), help="File holding the secret key.")
def keywords_hash(source, key_file):
    """Write a keyed-hash (HMAC-SHA256) copy of a plain list to stdout."""
    click.echo(keywords.hash_list(source, _read_key(key_file)), nl=False)


@keywords_group.command("stats")
@_lists_argument
def keywords_stats(list_paths):
    """Entries per language, category and match mode (never the terms)."""
    kl = keywords.load(list_paths or [DEFAULT_KEYWORDS])
    counts = Counter((e.lang, e.category, e.match) for e in kl.entries)
    click.echo("lang\tcategory\tmatch\tentries")
    for (lang, category, match), n in sorted(counts.items()):
        click.echo(f"{lang}\t{category}\t{match}\t{n}")
    click.echo(f"total\t\t\t{len(kl.entries)}")


@keywords_group.command("scan")
@_input_options
@_lists_argument
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False), help="Key for hashed lists.")
@click.option("--quiet", is_flag=True, help="No warnings or summary on stderr.")
def keywords_scan(inputs, errors, list_paths, key_file, quiet):
    """Report keyword hits per name by entry id and span (terms are never printed)."""
    _check_inputs(inputs)
    matcher = keywords.KeywordMatcher(keywords.load(list_paths or [DEFAULT_KEYWORDS]), _read_key(key_file))
    stats = streams.ReadStats()
    click.echo("source\tline\tentry_id\tcategory\tview\tstart\tend")
    names_with_hits = 0
    for source, name in _names(inputs, errors, stats):
        hits = matcher.scan(name.raw)
        names_with_hits += bool(hits)
        for h in hits:
            click.echo(f"{source}\t{name.line}\t{h.entry_id}\t{h.category}\t{h.view}\t{h.start}\t{h.end}")
    _report(stats, quiet, f"scanned {stats.lines - stats.skipped} names; {names_with_hits} with keyword hits")


def main() -> None:
    cli(prog_name="icop")


if __name__ == "__main__":
    sys.exit(main())
