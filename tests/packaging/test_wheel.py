"""The wheel carries everything icop reads at run time.

Built with ``python -m build`` (sdist, then the wheel from the sdist) from a copy of the checkout,
installed into a fresh environment in a temporary folder, and run from a folder outside the
checkout, icop triages names with its default model and evaluates a corpus it generated. The
fresh environment has no pip and no dependencies of its own: a ``.pth`` file lends it the test
environment's site-packages, after its own, and is written only once the wheel is installed, so
pip sees a clean environment and the ``icop`` it imports can only be the wheel's.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from icop import __version__
from icop.io import tables
from icop.model import bundle
from tests.conftest import DEFAULT_MODEL, ROOT, term

pytestmark = pytest.mark.slow

#: What a build does not read: version control, environments, caches, outputs, compiled leftovers.
NOT_BUILD_INPUTS = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__", ".*cache", ".hypothesis", "*.so", "*.c"
)


#: The environment without the variables that would point Python into the checkout.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def _run(command: list, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env or CLEAN_ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("build")
    source = work / "icop"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_BUILD_INPUTS)
    # Offline: the build requirements come from the dev extra (setuptools, cython) instead of an index.
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), str(source)], cwd=work)
    [built] = (work / "dist").glob("icop-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> Path:
    """The ``bin`` folder of a fresh environment with the wheel installed."""
    venv = tmp_path_factory.mktemp("env") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)], cwd=venv)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=venv).stdout.strip()
    lent = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "lent_dependencies.pth").write_text("".join(f"{path}\n" for path in lent), encoding="utf-8")
    return venv / "bin"


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A working folder outside the checkout."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert ROOT.resolve() not in folder.resolve().parents
    return folder


def _package_data(root: Path) -> dict[str, bytes]:
    """Every file under icop/resources, following the links into the top-level folders."""
    found = {}
    for folder, _, names in os.walk(root / "icop" / "resources", followlinks=True):
        for name in names:
            path = Path(folder) / name
            if "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def test_the_wheel_carries_every_resource_byte_for_byte(wheel):
    expected = _package_data(ROOT)
    assert {"icop/resources/model/weights.npy", "icop/resources/keywords/en.tsv", "icop/resources/eval/subgroups.toml"} <= set(
        expected
    )
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert set(expected) <= names
        assert all(archive.read(name) == content for name, content in expected.items())
        assert "icop/evaluation/templates/report.html.j2" in names


def test_the_installed_icop_is_the_wheels(installed, outside):
    folder = outside
    found = _run([str(installed / "python"), "-c", "import icop; print(icop.__file__)"], cwd=folder).stdout
    assert Path(found.strip()).is_relative_to(installed.parent)
    version = _run([str(installed / "python"), "-m", "icop", "--version"], cwd=folder).stdout
    assert version.startswith(f"icop, version {__version__} ")


def test_installed_triage_scores_as_the_checkout_does(installed, outside, lexicon):
    folder = outside
    marker = term(lexicon, "en")
    (folder / "names.txt").write_text(f"holiday.jpg\nHoliday.{marker.term}.2019.mp4\n", encoding="utf-8")
    _run([str(installed / "icop"), "triage", "names.txt", "-o", "installed.csv", "--quiet"], cwd=folder)
    rows = {r["name"]: r for r in csv.DictReader((folder / "installed.csv").open(encoding="utf-8"))}
    assert rows["holiday.jpg"]["decision"] == "0" and rows["holiday.jpg"]["keyword_ids"] == ""
    flagged = rows[f"Holiday.{marker.term}.2019.mp4"]
    assert flagged["decision"] == "1" and flagged["keyword_ids"] == marker.id
    checkout_env = {**CLEAN_ENV, "PYTHONPATH": str(ROOT)}
    _run([sys.executable, "-m", "icop", "triage", "names.txt", "-o", "checkout.csv", "--quiet"], cwd=folder, env=checkout_env)
    assert (folder / "installed.csv").read_bytes() == (folder / "checkout.csv").read_bytes()


def test_installed_evaluate_reports_on_a_synthetic_corpus(installed, outside):
    folder = outside
    icop = str(installed / "icop")
    _run([icop, "synth", "--n", "1500", "--seed", "2", "--out", "corpus", "--quiet"], cwd=folder)
    _run([icop, "evaluate", "--data", "corpus/corpus.parquet", "--out", "report", "--quiet"], cwd=folder)
    report = json.loads((folder / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["manifest"]["model_manifest_sha256"] == bundle.load(DEFAULT_MODEL).digest
    splits = tables.read_table(folder / "corpus" / "corpus.parquet", ["split"]).column("split").to_pylist()
    assert report["data_sheet"]["rows"] == splits.count("test") > 0
    assert 0.9 < report["triage"]["roc_auc"] <= 1.0
    assert (folder / "report" / "report.html").read_text(encoding="utf-8").count("<svg") == 7
    assert report["open_world"]["models"][0]["targets"]  # the suite eval/open_world.toml ships in the wheel


def test_a_copy_inside_another_repository_records_no_commit(tmp_path, monkeypatch):
    from icop.model import training

    repo = tmp_path / "project"
    copy = repo / ".venv" / "site-packages" / "icop" / "model" / "training.py"
    copy.parent.mkdir(parents=True)
    copy.write_text("# an installed copy\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    _run([*git, "init", "-q"], cwd=repo)
    (repo / "notes.txt").write_text("the project's own file\n")
    _run([*git, "add", "notes.txt"], cwd=repo)
    _run([*git, "commit", "-q", "-m", "first"], cwd=repo)
    monkeypatch.setattr(training, "__file__", str(copy))
    assert training._git_commit() is None  # the copy is not the repository's code
    _run([*git, "add", "-f", str(copy)], cwd=repo)
    _run([*git, "commit", "-q", "-m", "track it"], cwd=repo)
    head = _run(["git", "rev-parse", "HEAD"], cwd=repo).stdout.strip()
    assert training._git_commit() == head
