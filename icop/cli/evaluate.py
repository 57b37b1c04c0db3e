"""``icop evaluate``."""

from __future__ import annotations

import click

from icop.cli import cli
from icop.cli.options import DEFAULT_TRACKING_URI, model_option, progress_bar, quiet_option, seed_option


@cli.command("evaluate")
@model_option
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Corpus with metadata (icop synth; Parquet, JSONL, CSV or TSV); its test split is used.",
)
@click.option(
    "--baseline", "baselines", multiple=True, type=click.Path(exists=True), help="Baseline bundles to compare (repeatable)."
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for report.json and report.html.")
@seed_option
@click.option("--include-examples", is_flag=True, help="Show example names in the report (withheld by default).")
@click.option("--track", is_flag=True, help="Log the test metrics, the report and its figures to MLflow.")
@click.option(
    "--tracking-uri",
    help=f"MLflow store to log to (implies --track; default with --track: {DEFAULT_TRACKING_URI}).",
)
@quiet_option
def evaluate_command(model_path, data, baselines, out, seed, include_examples, track, tracking_uri, quiet):
    """Write the auditor report (JSON and self-contained HTML) for a model on a test split.

    With --track, the test metrics, report.json, report.html and each figure (SVG) go to the
    MLflow run that trained the model (found by its manifest digest), or to a new run.

    \b
    Examples:
      icop evaluate --data corpus/corpus.parquet --out report
      icop evaluate --model my-model --data corpus/corpus.parquet --baseline tfidf --out report
      icop evaluate --model my-model --data corpus/corpus.parquet --out report --track
    """
    from icop import evaluation

    with progress_bar(quiet) as progress:
        paths = evaluation.evaluate(
            model_path, data, out, baselines=baselines, seed=seed, include_examples=include_examples, progress=progress
        )
    run_id = None
    if track or tracking_uri:
        run_id = _log(paths, tracking_uri or DEFAULT_TRACKING_URI, quiet)
    if not quiet:
        click.echo(f"report: {paths['html']} (data: {paths['json']})", err=True)
        if run_id:
            click.echo(f"mlflow run {run_id}: test metrics, report and figures logged", err=True)


def _log(paths: dict, tracking_uri: str, quiet: bool) -> str:
    import json

    from icop.evaluation.render import figures
    from icop.integrations import tracking

    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    return tracking.log_evaluation(report, paths, figures(report), tracking_uri, quiet=quiet)
