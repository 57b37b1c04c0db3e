"""``icop triage`` and ``icop explain``."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager

import click

from icop.cli import cli, report
from icop.cli.options import input_options, keyword_key_option, model_option, quiet_option, read_key, threshold_option


@cli.command("triage")
@input_options
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help="Output file (.csv .tsv .jsonl .parquet), or '-' for stdout (needs --audit).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "tsv", "jsonl", "parquet"]), help="Output format (default: from the extension)."
)
@model_option
@threshold_option
@click.option("--top-k", type=click.IntRange(min=1), help="Write only the K best-ranked names (the review queue).")
@click.option(
    "--order",
    type=click.Choice(["rank", "input"]),
    default="rank",
    show_default=True,
    help="Rows by rank (best first; ties in input order) or in the order the names were read.",
)
@click.option("--group-by", help="Also rank groups of names by this input column (e.g. sharer, folder).")
@click.option(
    "--groups-output",
    type=click.Path(dir_okay=False),
    help="File for the group ranking (default: OUTPUT with .groups before its extension; needed with stdout).",
)
@click.option("--id-column", help="Input column to carry into the output as the name's id.")
@click.option("--redact", is_flag=True, help="Write a keyed hash instead of each name (needs --redact-key-file).")
@click.option("--redact-key-file", type=click.Path(exists=True, dir_okay=False), help="Key for --redact.")
@keyword_key_option
@click.option(
    "--explain",
    "explain_n",
    type=click.IntRange(min=0),
    default=0,
    help="Write explanations of the N best-ranked names beside the output.",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run on the same output.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=10_000, show_default=True, help="Names per committed chunk.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Scoring processes (one per core).")
@click.option(
    "--audit",
    "audit_path",
    type=click.Path(dir_okay=False),
    help="File for the audit record (default: OUTPUT.audit.json; needed when the output is stdout, a device or a pipe).",
)
@click.option("--operator", help="Who runs the triage, recorded in the audit record (default: the user name).")
@quiet_option
def triage_command(
    inputs,
    column,
    errors,
    output,
    fmt,
    model_path,
    threshold,
    top_k,
    order,
    group_by,
    groups_output,
    id_column,
    redact,
    redact_key_file,
    key,
    explain_n,
    resume,
    chunk_size,
    workers,
    audit_path,
    operator,
    quiet,
):
    """Score names and write a ranked review queue, best first, with an audit record.

    \b
    Examples:
      icop triage names.txt -o queue.csv
      icop triage shares.parquet --column filename --group-by sharer --top-k 500 -o queue.csv
      cat names.txt | icop triage - --redact --redact-key-file case.key -o queue.jsonl
      icop triage names.txt --audit case/run1.audit.json > queue.csv
    """
    from icop import triage
    from icop.model import bundle

    if redact and not redact_key_file:
        raise click.UsageError("--redact needs --redact-key-file (the key of the keyed hash)")
    options = triage.TriageOptions(
        threshold=threshold,
        top_k=top_k,
        order=order,
        group_by=group_by,
        id_column=id_column,
        column=column,
        errors=errors,
        redact_key=read_key(redact_key_file) if redact else None,
        explain=explain_n,
        chunk_size=chunk_size,
        workers=workers,
    )
    with _exit_cleanly_on_sigterm(), _progress(quiet) as progress:
        summary = triage.run(
            list(inputs) or ["-"],
            output,
            bundle=bundle.load(model_path),
            options=options,
            fmt=fmt,
            resume=resume,
            key=key,
            audit=audit_path,
            groups_output=groups_output,
            operator=operator,
            progress=progress.update,
        )
    read = summary.read
    counted = {"truncated": read.truncated, "invalid UTF-8": read.invalid_utf8, "left out": read.skipped}
    extras = [f"{n} {what}" for what, n in counted.items() if n]
    written = {"audit": summary.audit, "groups": summary.groups, "explanations": summary.explanations}
    extras += [f"{what}: {path}" for what, path in written.items() if path]
    report(
        summary.notes + read.problems,
        quiet,
        f"{summary.names} names, {summary.flagged} flagged, {summary.keyword_names} with keyword hits; "
        f"{summary.names_per_second:,.0f} names/s"
        + "".join(f"; {e}" for e in extras)
        + f"; model manifest sha256 {summary.bundle_digest}",
        more=read.more(),
    )


@cli.command("explain")
@click.argument("names", nargs=-1, required=True)
@model_option
@threshold_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Contributions shown in the text form.")
@keyword_key_option
def explain_command(names, model_path, threshold, fmt, top, key):
    """Explain the score of each NAME: normalisation trace, every contribution, exact sum.

    \b
    Examples:
      icop explain "Holiday.Video.2019.1080p.mkv"
      icop explain --format json --threshold recall_0.95 "IMG_0001.JPG" "W3dd1ng.V1de0.mp4"
    """
    from icop.model import bundle
    from icop.scoring import explain

    for card in explain.explain_bundle(bundle.load(model_path), names, threshold=threshold, key=key):
        click.echo(explain.to_json(card) if fmt == "json" else explain.render_text(card, top))


@contextmanager
def _exit_cleanly_on_sigterm():
    """SIGTERM ends the run like an error (exit 143), so scratch files and the lock are removed."""

    def leave(signum, frame):
        sys.exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress(quiet: bool):
    """A progress bar with rate on stderr, silent with --quiet or when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(unit=" names", unit_scale=True, file=sys.stderr, disable=True if quiet else None, leave=False, dynamic_ncols=True)
