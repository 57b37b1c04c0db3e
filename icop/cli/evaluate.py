"""``icop evaluate``."""

from __future__ import annotations

import click

from icop.cli import cli
from icop.cli.options import model_option, quiet_option, seed_option


@cli.command("evaluate")
@model_option
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Corpus with metadata (icop synth); its test split is used.",
)
@click.option(
    "--baseline", "baselines", multiple=True, type=click.Path(exists=True), help="Baseline bundles to compare (repeatable)."
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for report.json and report.html.")
@seed_option
@click.option("--include-examples", is_flag=True, help="Show example names in the report (withheld by default).")
@quiet_option
def evaluate_command(model_path, data, baselines, out, seed, include_examples, quiet):
    """Write the auditor report (JSON and self-contained HTML) for a model on a test split.

    \b
    Examples:
      icop evaluate --data corpus/corpus.parquet --out report
      icop evaluate --model my-model --data corpus/corpus.parquet --baseline tfidf --out report
    """
    from icop import evaluation

    paths = evaluation.evaluate(model_path, data, out, baselines=baselines, seed=seed, include_examples=include_examples)
    if not quiet:
        click.echo(f"report: {paths['html']} (data: {paths['json']})", err=True)
