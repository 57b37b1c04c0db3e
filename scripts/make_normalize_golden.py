#!/usr/bin/env python3
"""Regenerate tests/data/normalize_golden.tsv from tests/data/normalize_cases.tsv.

Run it only when the normalisation spec changes on purpose, then review the diff line by line:
the golden file is the published behaviour other runtimes test against.
"""

from pathlib import Path

from icop.text import golden as spec

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"

if __name__ == "__main__":
    spec.write_golden(spec.read_tsv(DATA / "normalize_cases.tsv"), DATA / "normalize_golden.tsv")
