"""docs/RELIABILITY.md names a test for every case: each one exists, and every case passes."""

import re

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "RELIABILITY.md").read_text(encoding="utf-8")
REFERENCE = re.compile(r"`((?:tests/\S+?/)?test_\w+\.py)?::(test_\w+)`")


def referenced_tests() -> list[tuple[str, str]]:
    found = []
    for line in DOC.splitlines():
        path = None
        for file, name in REFERENCE.findall(line):
            path = file or path
            found.append((path if path.startswith("tests/") else f"tests/reliability/{path}", name))
    return found


def test_every_test_named_in_the_table_exists():
    tests = referenced_tests()
    assert len(tests) > 90
    missing = [f"{path}::{name}" for path, name in tests if f"def {name}(" not in (ROOT / path).read_text(encoding="utf-8")]
    assert missing == []


def test_the_table_lists_the_31_cases_of_issue_17_and_each_passes():
    cases = re.findall(r"^\| (\d+[a-l]?) \| .* \| (yes|yes \(already\)|no) \|$", DOC, flags=re.M)
    assert len(cases) == 31 and {verdict for _, verdict in cases} <= {"yes", "yes (already)"}
