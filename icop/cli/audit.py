"""``icop audit verify``."""

from __future__ import annotations

import click

from icop.cli import cli


@cli.group("audit")
def audit_group():
    """Check audit records: does everything a run recorded still hash the same?

    \b
    Examples:
      icop audit verify queue.csv.audit.json
      icop audit verify case/run1.audit.json --output case/queue.csv
    """


@audit_group.command("verify")
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--output",
    "saved_output",
    type=click.Path(exists=True, dir_okay=False),
    help="Where the output was saved when the run wrote it to stdout or a pipe.",
)
def verify_command(record, saved_output):
    """Re-hash the inputs, the output, its companions and the model bundle named in RECORD.

    One line per item: match, mismatch, missing, or not re-hashable (read or written as a
    stream). Exit 0 when nothing is a mismatch or missing, else 1.

    \b
    Examples:
      icop audit verify queue.csv.audit.json
      icop triage names.txt --audit run.audit.json > queue.csv && icop audit verify run.audit.json --output queue.csv
    """
    from icop.triage import audit

    checks = audit.verify(record, output=saved_output)
    for check in checks:
        click.echo("\t".join([check.status, check.item, check.path, check.detail]).rstrip("\t"))
    failed = [c for c in checks if c.failed]
    if failed:
        click.echo(f"error: {len(failed)} of {len(checks)} items no longer match the audit record", err=True)
        raise SystemExit(1)
