"""The ``icop`` command: a thin Click layer that parses, calls one library function and reports.

Data goes to stdout, messages to stderr. Exit codes (icop/errors.py): 0 ok, 1 a run that cannot
go on, 2 usage or input mistakes, 3 a model bundle that cannot be trusted. Errors are one line
naming the file, the line and the fix; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import os
import sys

import click

from icop import __version__
from icop.errors import IcopError

# Offline by default (docs/CONTENT_RULES.md rule 8): no dependency may phone home from a CLI process.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class IcopGroup(click.Group):
    """Turns icop's errors into one clear line and their exit code (traceback only with --debug);
    a reader that stops early (``icop triage x | head``) ends the command quietly, exit 0."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except IcopError as err:
            if ctx.meta.get("icop.debug"):
                raise
            click.echo(f"error: {err}", err=True)
            ctx.exit(err.exit_code)
        except BrokenPipeError:
            # Python's recipe: point stdout at /dev/null so the flush at exit does not fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)


def _version_message() -> str:
    from icop.compiled import DRIVERS

    return f"%(prog)s, version %(version)s (compiled drivers: {'yes' if DRIVERS.compiled else 'no'})"


class _VersionOption(click.Option):
    """--version, whose message is built only when asked (it imports the compiled drivers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, is_flag=True, expose_value=False, is_eager=True, help="Show the version and exit.", **kwargs)

    def handle_parse_result(self, ctx, opts, args):
        if opts.get("version") and not ctx.resilient_parsing:
            click.echo(_version_message() % {"prog": "icop", "version": __version__})
            ctx.exit()
        return super().handle_parse_result(ctx, opts, args)


@click.group(cls=IcopGroup, context_settings=CONTEXT)
@click.option("--version", cls=_VersionOption)
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """icop: offline multilingual triage of P2P filenames (research tool; synthetic data only).

    \b
    Examples:
      icop triage names.txt -o queue.csv
      icop explain "Holiday.Video.2019.1080p.mkv"
      icop synth --n 10000 --out corpus && icop evaluate --data corpus/corpus.parquet --out report
    """
    ctx.meta["icop.debug"] = debug


def report(problems: list[str], quiet: bool, summary: str, more: str = "") -> None:
    """Warnings (the first 20, and how many more of which kind) and a summary line, on stderr."""
    if quiet:
        return
    for problem in problems[:20]:
        click.echo(f"warning: {problem}", err=True)
    if len(problems) > 20 or more:
        click.echo(f"warning: ... and {more or f'{len(problems) - 20} more'}", err=True)
    click.echo(summary, err=True)


def main() -> None:
    cli(prog_name="icop")


from icop.cli import audit, evaluate, keywords, model, synth, text, triage  # noqa: E402, F401  (registers the commands)

if __name__ == "__main__":
    sys.exit(main())
