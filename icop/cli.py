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

from icop import __version__, compiled, keywords, streams
from icop.normalize import normalize

# Offline by default (SAFETY.md rule 7): no dependency may phone home from a CLI process.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

DEFAULT_KEYWORDS = str(files("icop.resources").joinpath("keywords"))
_KNOWN_ERRORS = (ValueError, OSError, RuntimeError)  # icop's own errors derive from these


class IcopGroup(click.Group):
    """Turns known errors into one clear line and exit code 1 (traceback only with --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # Click's own control flow (--help, usage errors); Exit is a RuntimeError
        except _KNOWN_ERRORS as err:
            if ctx.meta.get("icop.debug"):
                raise
            raise click.ClickException(str(err)) from None


@click.group(cls=IcopGroup)
@click.version_option(
    __version__, prog_name="icop", message=f"%(prog)s, version %(version)s (compiled drivers: {'yes' if compiled.fastpath else 'no'})"
)
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
    func = click.option(
        "--column", help="Name column of CSV/TSV/JSONL/Parquet inputs (default: text)."
    )(func)
    return click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))(func)


def _names(inputs: tuple[str, ...], column: str | None, errors: str, stats: streams.ReadStats):
    """All inputs are opened and checked (file, format, column) before the first name is read."""
    readers = [(source, streams.names_from(source, column, errors, stats)) for source in inputs or ("-",)]
    return ((source, name) for source, reader in readers for name in reader)


def _report(stats: streams.ReadStats, quiet: bool, summary: str) -> None:
    if quiet:
        return
    for problem in stats.problems[:20]:
        click.echo(f"warning: {problem}", err=True)
    if len(stats.problems) > 20:
        click.echo(f"warning: ... and {len(stats.problems) - 20} more", err=True)
    click.echo(summary, err=True)


# --------------------------------------------------------------------------- normalize


@cli.command("normalize")
@_input_options
@click.option("--format", "fmt", type=click.Choice(["tsv", "jsonl"]), default="tsv", show_default=True)
@click.option("--quiet", is_flag=True, help="No warnings or summary on stderr.")
def normalize_command(inputs, column, errors, fmt, quiet):
    """Normalise names (text lines, CSV/TSV, JSONL or Parquet; '-' or nothing reads stdin)."""
    stats = streams.ReadStats()
    names = _names(inputs, column, errors, stats)
    fields = ["source", "line", "ext", "norm", "fold", "skel"]
    if fmt == "tsv":
        click.echo("\t".join(fields + ["obfuscation"]))
    for source, name in names:
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
def keywords_scan(inputs, column, errors, list_paths, key_file, quiet):
    """Report keyword hits per name by entry id and span (terms are never printed)."""
    matcher = keywords.KeywordMatcher(keywords.load(list_paths or [DEFAULT_KEYWORDS]), _read_key(key_file))
    stats = streams.ReadStats()
    names = _names(inputs, column, errors, stats)
    click.echo("source\tline\tentry_id\tcategory\tview\tstart\tend")
    names_with_hits = 0
    for source, name in names:
        hits = matcher.scan(name.raw)
        names_with_hits += bool(hits)
        for h in hits:
            click.echo(f"{source}\t{name.line}\t{h.entry_id}\t{h.category}\t{h.view}\t{h.start}\t{h.end}")
    _report(stats, quiet, f"scanned {stats.lines - stats.skipped} names; {names_with_hits} with keyword hits")


# --------------------------------------------------------------------------- train


@cli.command("train")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False), help="Training table (Parquet or JSONL) with text, label, split.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New directory for the model bundle.")
@click.option("--baseline", type=click.Choice(["keywords", "tfidf"]), help="Train a baseline instead of the icop model.")
@click.option("--seed", type=int, default=0, show_default=True)
@_lists_argument
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False), help="Key for hashed keyword lists.")
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False), help="Also write the single-file (zip) form of the bundle.")
@click.option("--tracking-uri", default=None, help="MLflow tracking URI (default: sqlite:///mlflow.db).")
@click.option("--no-track", is_flag=True, help="Do not log the run to MLflow.")
@click.option("--quiet", is_flag=True)
def train_command(data, out, baseline, seed, list_paths, key_file, zip_path, tracking_uri, no_track, quiet):
    """Train a model (or a baseline) and write a verified bundle; log it to MLflow."""
    import json

    from icop import bundle, train

    lists = keywords.load(list_paths or [DEFAULT_KEYWORDS])
    corpus = train.load_corpus(data)
    path, metrics = train.train(corpus, lists, out, train.TrainConfig(seed=seed), baseline, _read_key(key_file))
    if zip_path:
        bundle.write_zip(path, zip_path)
    if not no_track:
        from icop import tracking

        manifest = json.loads((path / bundle.MANIFEST).read_text(encoding="utf-8"))
        manifest["manifest_sha256"] = bundle.manifest_digest(path)
        run_id = tracking.log_training(path, manifest, metrics, tracking_uri or tracking.DEFAULT_TRACKING_URI)
        if not quiet:
            click.echo(f"mlflow run {run_id}", err=True)
    if not quiet:
        click.echo(
            f"wrote {path}: validation ROC-AUC {metrics['validation_roc_auc']}, AP {metrics['validation_average_precision']} "
            f"({metrics['train_seconds']} s)",
            err=True,
        )


@cli.command("verify")
@click.argument("bundle_path", type=click.Path(exists=True))
def verify_command(bundle_path):
    """Verify a model bundle (every file against the manifest) and print its summary."""
    from icop import bundle

    model, manifest = bundle.load(bundle_path)
    digest = bundle.manifest_digest(bundle_path)
    click.echo(f"ok: {manifest['kind']} model, icop {manifest['icop_version']}, {len(manifest['files'])} files verified; manifest sha256 {digest}")


# --------------------------------------------------------------------------- triage

def _default_model() -> str:
    """models/default of the working directory, else the one beside the package (a source checkout)."""
    here = Path("models") / "default"
    beside = Path(__file__).resolve().parent.parent / "models" / "default"
    return str(here if here.is_dir() or not beside.is_dir() else beside)


DEFAULT_MODEL = _default_model()


def _threshold(value: str):
    try:
        return float(value)
    except ValueError:
        return value


@cli.command("triage")
@_input_options
@click.option("-o", "--output", default="-", show_default=True, help="Output file (.csv .tsv .jsonl .parquet) or '-'.")
@click.option("--format", "fmt", type=click.Choice(["csv", "tsv", "jsonl", "parquet"]), help="Output format (default: from the extension).")
@click.option("--model", "model_path", default=DEFAULT_MODEL, show_default=True, type=click.Path(), help="Model bundle (directory or zip).")
@click.option("--threshold", default="best_f1", show_default=True, help="A named operating point of the bundle, or a probability.")
@click.option("--top-k", type=click.IntRange(min=1), help="Write only the K best-ranked names (the review queue), in rank order.")
@click.option("--group-by", help="Also rank groups of names by this input column (e.g. sharer, folder).")
@click.option("--id-column", help="Input column to carry into the output as the name's id.")
@click.option("--redact", is_flag=True, help="Write a keyed hash instead of each name (needs --redact-key-file).")
@click.option("--redact-key-file", type=click.Path(exists=True, dir_okay=False), help="Key for --redact.")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False), help="Key of the bundle's hashed keyword lists.")
@click.option("--explain", "explain_n", type=click.IntRange(min=0), default=0, help="Write explanations of the N best-ranked names beside the output.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run on the same output.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=10_000, show_default=True, help="Names per committed chunk.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Scoring processes (one per core).")
@click.option("--quiet", is_flag=True, help="No progress or summary on stderr.")
def triage_command(inputs, column, errors, output, fmt, model_path, threshold, top_k, group_by, id_column, redact,
                   redact_key_file, key_file, explain_n, resume, chunk_size, workers, quiet):
    """Score names and write a ranked review queue (with an audit record beside it)."""
    import sys

    from icop import bundle, triage

    if redact and not redact_key_file:
        raise click.UsageError("--redact needs --redact-key-file (the key of the keyed hash)")
    if explain_n and output == "-":
        raise click.UsageError("--explain writes beside the output file; give -o FILE")
    model, manifest = bundle.load(model_path)
    if manifest["kind"] not in ("linear", "keywords"):
        raise click.ClickException(f"{model_path}: a {manifest['kind']} baseline cannot run triage; use an icop model")
    options = triage.TriageOptions(
        threshold=_threshold(threshold), top_k=top_k, group_by=group_by, id_column=id_column, column=column,
        errors=errors, redact_key=_read_key(redact_key_file) if redact else None, explain=explain_n, chunk_size=chunk_size,
        workers=workers,
    )
    progress = _Progress() if not quiet and sys.stderr.isatty() else None
    summary = triage.run(list(inputs) or ["-"], output, model, bundle.manifest_digest(model_path), options, fmt,
                         resume, progress=progress, key=_read_key(key_file))
    if progress:
        progress.done()
    if explain_n:
        from icop import explain

        path = explain.write_top(model, summary, output, explain_n, options, _read_key(key_file), bundle.manifest_digest(model_path))
        if not quiet:
            click.echo(f"explanations: {path}", err=True)
    if not quiet:
        _report(summary.read, False, f"{summary.names} names, {summary.flagged} flagged, {summary.keyword_names} with keyword hits; "
                f"{summary.names_per_second:,.0f} names/s" + (f"; audit: {summary.audit}" if summary.audit else ""))


@cli.command("explain")
@click.argument("names", nargs=-1, required=True)
@click.option("--model", "model_path", default=DEFAULT_MODEL, show_default=True, type=click.Path())
@click.option("--threshold", default="best_f1", show_default=True, help="A named operating point of the bundle, or a probability.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Contributions shown in the text form.")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False), help="Key of the bundle's hashed keyword lists.")
def explain_command(names, model_path, threshold, fmt, top, key_file):
    """Explain the score of each NAME: normalisation trace, every contribution, exact sum."""
    from icop import bundle, explain
    from icop.scorer import BatchScorer

    model, _ = bundle.load(model_path)
    digest = bundle.manifest_digest(model_path)
    key = _read_key(key_file)
    scorer = BatchScorer(model, key)
    for name in names:
        card = explain.explain(model, name, _threshold(threshold), key, digest, scorer)
        click.echo(explain.to_json(card) if fmt == "json" else explain.render_text(card, top))


class _Progress:
    """Names scored so far and the rate, redrawn on one stderr line (only on a terminal)."""

    def __init__(self):
        import time

        self.count, self.started, self._clock = 0, time.perf_counter(), time.perf_counter

    def __call__(self, n: int) -> None:
        self.count += n
        rate = self.count / max(self._clock() - self.started, 1e-9)
        click.echo(f"\rscored {self.count:,} names ({rate:,.0f}/s)", nl=False, err=True)

    def done(self) -> None:
        click.echo("", err=True)


# --------------------------------------------------------------------------- evaluate


@cli.command("evaluate")
@click.option("--model", "model_path", default=DEFAULT_MODEL, show_default=True, type=click.Path(exists=True))
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False), help="Corpus with metadata (icop synth); its test split is used.")
@click.option("--baseline", "baselines", multiple=True, type=click.Path(exists=True), help="Baseline bundles to compare (repeatable).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for report.json and report.html.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap and sampling seed.")
@click.option("--include-examples", is_flag=True, help="Show example names in the report (withheld by default).")
@click.option("--quiet", is_flag=True)
def evaluate_command(model_path, data, baselines, out, seed, include_examples, quiet):
    """Write the auditor report (JSON and self-contained HTML) for a model on a test split."""
    from icop import evaluation

    paths = evaluation.evaluate(model_path, data, out, baselines, seed, include_examples)
    if not quiet:
        click.echo(f"report: {paths['html']} (data: {paths['json']})", err=True)


# --------------------------------------------------------------------------- export


@cli.command("export-onnx")
@click.option("--model", "model_path", default=DEFAULT_MODEL, show_default=True, type=click.Path(exists=True))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .onnx file to write.")
@click.option("--parity-names", type=int, default=3000, show_default=True, help="Synthetic names in the parity check.")
def export_onnx_command(model_path, out, parity_names):
    """Export a model to ONNX (docs/ONNX.md), checked against the Python scorer before it is kept."""
    from icop import bundle, onnx_export, synth

    model, manifest = bundle.load(model_path)
    if manifest["kind"] == "tfidf":
        raise click.ClickException(f"{model_path}: a tfidf baseline cannot be exported to ONNX; export an icop model")
    names = [r.text for r in synth.generate(synth.load_config(), parity_names, 97)]
    names += ["", "😀" * 64, "ျမန္မာ", "W3dd1ng.V1de0", "m.o.v.i.e", "ภาพยนตร์\u200bวันเกิด", "x" * 1024]
    worst = onnx_export.export_verified(model, out, bundle.manifest_digest(model_path), names)
    click.echo(f"wrote {out}: parity on {len(names)} names, integer logits identical, max |delta p| {worst:.2g}", err=True)


# --------------------------------------------------------------------------- synth


@cli.command("synth")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML configuration (default: the shipped one).")
@click.option("--n", "n", type=int, default=100_000, show_default=True, help="Number of names.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output directory.")
@click.option("--jsonl", is_flag=True, help="Also write corpus.jsonl.")
@click.option("--quiet", is_flag=True)
def synth_command(config_path, n, seed, out, jsonl, quiet):
    """Generate a synthetic corpus (SURROGATE markers only) with its DATASHEET.md."""
    from icop import synth

    written = synth.write_corpus(synth.load_config(config_path), n, seed, out, jsonl)
    if not quiet:
        for name, path in written.items():
            click.echo(f"wrote {path}", err=True)


def main() -> None:
    cli(prog_name="icop")


if __name__ == "__main__":
    sys.exit(main())
