"""``icop keywords validate|hash|stats|scan``."""

from __future__ import annotations

import click

from icop.cli import cli, report
from icop.cli.options import input_options, keyword_key_option, keyword_lists, lists_option, quiet_option


@cli.group("keywords")
def keywords_group():
    """Validate, hash, describe and scan with keyword lists (see keywords/README.md).

    \b
    Examples:
      icop keywords validate partner/lists/
      icop keywords scan names.txt --lists partner/hashed/ --key-file partner.key
    """


@keywords_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def keywords_validate(paths):
    """Check list files; every problem is reported with file, line and fix.

    \b
    Examples:
      icop keywords validate partner/lists/
      icop keywords validate th.tsv vi.tsv
    """
    lists = keyword_lists(paths)
    kind = "hashed" if lists.hashed else "plain"
    label = "SURROGATE" if lists.surrogate else "partner"
    click.echo(f"ok: {len(lists.entries)} entries ({kind}, {label}); sha256 {lists.sha256}")


@keywords_group.command("hash")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key-file",
    "key",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    callback=lambda ctx, param, value: _key(value),
    help="File holding the secret key.",
)
def keywords_hash(source, key):
    """Write a keyed-hash (HMAC-SHA256) copy of a plain list to stdout.

    \b
    Examples:
      icop keywords hash th.tsv --key-file partner.key > th.hashed.tsv
      for f in lists/*.tsv; do icop keywords hash "$f" --key-file partner.key > hashed/$(basename "$f"); done
    """
    from icop import keywords

    click.echo(keywords.hash_list(source, key), nl=False)


def _key(value):
    from icop.cli.options import read_key

    return read_key(value)


@keywords_group.command("stats")
@lists_option
def keywords_stats(list_paths):
    """Entries per language, category and match mode (never the terms).

    \b
    Examples:
      icop keywords stats
      icop keywords stats --lists partner/lists/
    """
    from icop import keywords

    counts = keywords.entry_counts(keyword_lists(list_paths))
    click.echo("lang\tcategory\tmatch\tentries")
    for (lang, category, match), n in sorted(counts.items()):
        click.echo(f"{lang}\t{category}\t{match}\t{n}")
    click.echo(f"total\t\t\t{sum(counts.values())}")


@keywords_group.command("scan")
@input_options
@lists_option
@keyword_key_option
@quiet_option
def keywords_scan(inputs, column, errors, list_paths, key, quiet):
    """Report keyword hits per name by entry id and span (terms are never printed).

    \b
    Examples:
      icop keywords scan names.txt
      icop keywords scan names.csv --column filename --lists partner/ --key-file partner.key
    """
    from icop import keywords
    from icop.io import streams

    matcher = keywords.KeywordMatcher(keyword_lists(list_paths), key)
    stats = streams.ReadStats()
    names = streams.names_of_all(inputs or ("-",), column, errors, stats)  # checks every input first
    click.echo("source\tline\tentry_id\tcategory\tview\tstart\tend")
    names_with_hits = 0
    for source, name in names:
        hits = matcher.scan(name.raw)
        names_with_hits += bool(hits)
        for h in hits:
            click.echo(f"{source}\t{name.line}\t{h.entry_id}\t{h.category}\t{h.view}\t{h.start}\t{h.end}")
    report(
        stats.problems,
        quiet,
        more=stats.more(),
        summary=f"scanned {stats.lines - stats.skipped} names; {names_with_hits} with keyword hits",
    )
