"""``icop synth``."""

from __future__ import annotations

import click

from icop.cli import cli
from icop.cli.options import progress_bar, quiet_option, seed_option


@cli.command("synth")
@click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration (default: the shipped one)."
)
@click.option("--n", "n", type=click.IntRange(min=1), default=100_000, show_default=True, help="Number of names.")
@seed_option
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output directory.")
@click.option("--jsonl", is_flag=True, help="Also write corpus.jsonl.")
@quiet_option
def synth_command(config_path, n, seed, out, jsonl, quiet):
    """Generate a synthetic corpus (SURROGATE markers only) with its DATASHEET.md.

    \b
    Examples:
      icop synth --n 100000 --out corpus
      icop synth --config my.toml --n 5000 --seed 7 --out small --jsonl
    """
    from icop import synth

    with progress_bar(quiet) as progress:
        written = synth.write_corpus(synth.load_config(config_path), n, seed, out, jsonl, progress=progress)
    if not quiet:
        for path in written.values():
            click.echo(f"wrote {path}", err=True)
