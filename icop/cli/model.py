"""``icop train``, ``icop verify`` and ``icop export-onnx``."""

from __future__ import annotations

import click

from icop.cli import cli
from icop.cli.options import (
    keyword_key_option,
    keyword_lists,
    lists_option,
    model_option,
    progress_bar,
    quiet_option,
    seed_option,
    tracking_uri_option,
)


@cli.command("train")
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Training table (Parquet, JSONL, CSV or TSV) with text, label, split.",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New directory for the model bundle.")
@click.option("--baseline", type=click.Choice(["keywords", "tfidf"]), help="Train a baseline instead of the icop model.")
@seed_option
@lists_option
@keyword_key_option
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False), help="Also write the single-file (zip) form of the bundle.")
@tracking_uri_option
@click.option("--no-track", is_flag=True, help="Do not log the run to MLflow.")
@click.option(
    "--gates",
    "gates_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Gates a model passes to become the registry's champion (default: the shipped eval/gates.toml).",
)
@quiet_option
def train_command(data, out, baseline, seed, list_paths, key, zip_path, tracking_uri, no_track, gates_path, quiet):
    """Train a model (or a baseline) and write a verified bundle; log it to MLflow, where a
    version that passes its gates (eval/gates.toml) takes the alias champion.

    \b
    Examples:
      icop train --data corpus/corpus.parquet --out my-model
      icop train --data corpus.csv --out my-model --tracking-uri sqlite:///runs/mlflow.db
      icop train --data corpus/corpus.parquet --out tfidf --baseline tfidf --no-track
    """
    from icop.model.training import train_bundle

    with progress_bar(quiet) as progress:
        result = train_bundle(
            data,
            out,
            keywords=keyword_lists(list_paths),
            baseline=baseline,
            seed=seed,
            key=key,
            zip_path=zip_path,
            tracking_uri=None if no_track else tracking_uri,
            gates_path=gates_path,
            quiet=quiet,
            progress=progress,
        )
    if quiet:
        return
    if result.run_id:
        registered = f"; registered as icop-triage version {result.version}" if result.version else ""
        champion = "champion" if result.champion else "not champion"
        click.echo(f"mlflow run {result.run_id}{registered}; {champion} ({result.gates.summary()})", err=True)
    m = result.metrics
    click.echo(
        f"wrote {result.path}: validation ROC-AUC {m['validation_roc_auc']}, AP {m['validation_average_precision']} "
        f"({m['train_seconds']} s)",
        err=True,
    )


@cli.command("verify")
@click.argument("bundle_path", type=click.Path(exists=True))
def verify_command(bundle_path):
    """Verify a model bundle (every file against the manifest) and print its summary.

    \b
    Examples:
      icop verify models/default
      icop verify partner-model.zip
    """
    from icop.model import bundle

    loaded = bundle.load(bundle_path)
    m = loaded.manifest
    click.echo(
        f"ok: {m['kind']} model, icop {m['icop_version']}, {len(m['files'])} files verified; manifest sha256 {loaded.digest}"
    )


@cli.command("export-onnx")
@model_option
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .onnx file to write.")
@click.option(
    "--parity-names", type=click.IntRange(min=1), default=3000, show_default=True, help="Synthetic names in the parity check."
)
def export_onnx_command(model_path, out, parity_names):
    """Export a model to ONNX (docs/ONNX.md), checked against the Python scorer before it is kept.

    \b
    Examples:
      icop export-onnx --out icop.onnx
      icop export-onnx --model my-model --out my-model.onnx --parity-names 10000
    """
    from icop.integrations import onnx
    from icop.model import bundle

    worst = onnx.export_bundle(bundle.load(model_path), out, parity_names)
    click.echo(f"wrote {out}: parity checked, integer logits identical, max |delta p| {worst:.2g}", err=True)
