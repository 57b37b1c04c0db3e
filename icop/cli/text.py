"""``icop normalize``."""

from __future__ import annotations

import json

import click

from icop.cli import cli, report
from icop.cli.options import input_options, quiet_option

VIEW_FIELDS = ("ext", "norm", "fold", "skel")


@cli.command("normalize")
@input_options
@click.option("--format", "fmt", type=click.Choice(["tsv", "jsonl"]), default="tsv", show_default=True, help="Output format.")
@quiet_option
def normalize_command(inputs, column, errors, fmt, quiet):
    """Normalise names: every view (norm, fold, skel) and the obfuscation counts.

    Inputs are text lines, CSV/TSV, JSONL or Parquet; '-' or nothing reads stdin.

    \b
    Examples:
      icop normalize names.txt
      printf 'W3dd1ng.V1de0.mp4\\n' | icop normalize --format jsonl
    """
    from icop.io import streams
    from icop.text.normalize import normalize

    stats = streams.ReadStats()
    names = streams.names_of_all(inputs or ("-",), column, errors, stats)  # checks every input first
    if fmt == "tsv":
        click.echo("\t".join(["source", "line", *VIEW_FIELDS, "obfuscation"]))
    for source, name in names:
        n = normalize(name.raw)
        obfuscation = {k: v for k, v in n.obfuscation._asdict().items() if v}
        row = {"source": source, "line": name.line, **{f: getattr(n, f) for f in VIEW_FIELDS}}
        if fmt == "jsonl":
            click.echo(json.dumps({**row, "obfuscation": obfuscation}, ensure_ascii=False, sort_keys=True))
        else:
            click.echo("\t".join([str(v) for v in row.values()] + [json.dumps(obfuscation, sort_keys=True)]))
    report(stats.problems, quiet, more=stats.more(), summary=f"normalised {stats.lines - stats.skipped} names")
