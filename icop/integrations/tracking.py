"""Experiment tracking with MLflow: the only module that imports it, and only when called.

Every ``icop train`` is a run in a local SQLite store (``sqlite:///mlflow.db`` by default): its
parameters, validation metrics, the gates (icop/model/gates.py), the bundle as an artifact, and
a version of the registered model ``icop-triage``, a models-from-code pyfunc
(``icop/integrations/mlflow_model.py``) that loads the bundle and scores a ``filename`` column
into triage's score columns. A version that passes every gate takes the alias ``champion``.
``icop evaluate --track`` adds the test metrics, the report (JSON and HTML) and its figures to
the training run of the evaluated bundle (found by its manifest digest), or to a new run.

Artifacts of a SQLite store live in ``mlartifacts/`` beside the database file, never in a
``mlruns/`` folder of whatever directory the command ran in. The pyfunc carries icop's own code
(``code/icop``: icop is on no package index) and pins icop's dependencies at the versions that
trained it, so ``pip install -r requirements.txt`` rebuilds its environment from PyPI alone.

No raw filename is ever logged: the input example is a fixed synthetic string, and the
report's example names appear only if the auditor asked for them. Telemetry is off
(docs/CONTENT_RULES.md rule 8); with ``quiet`` MLflow's own log lines are off too.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from icop.errors import IcopError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
REGISTERED_MODEL = "icop-triage"
EXPERIMENT = "icop"
CHAMPION = "champion"
ARTIFACTS_FOLDER = "mlartifacts"
DIGEST_TAG = "icop.bundle_manifest_sha256"
#: A fixed, synthetic example: MLflow stores it with the model, so it must not be a user's data.
INPUT_EXAMPLE = ["Holiday.Video.2019.1080p.mkv", "IMG_0001.JPG"]


class TrackingError(IcopError):
    """MLflow is missing or the tracking store cannot be used."""


@dataclass(frozen=True)
class TrackedTraining:
    run_id: str
    version: str | None  # of the registered model, when registered
    champion: bool  # whether this version took the alias


def _mlflow():
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    # MLflow draws its own bar while it copies a model's files into the store: icop's is enough.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        import mlflow
    except ImportError as err:  # pragma: no cover - mlflow is a dependency
        raise TrackingError("MLflow is not installed; install icop with its dependencies or use --no-track") from err
    return mlflow


@contextmanager
def _store(tracking_uri: str, quiet: bool) -> Iterator:
    """MLflow pointed at the store, with the experiment ready; silent with ``quiet``."""
    with _silenced() if quiet else nullcontext():
        mlflow = _mlflow()
        mlflow.set_tracking_uri(tracking_uri)
        experiment = mlflow.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_location(tracking_uri))
        mlflow.set_experiment(EXPERIMENT)
        yield mlflow


@contextmanager
def _silenced() -> Iterator[None]:
    """MLflow's log lines, notices and warnings kept off the terminal. MLflow writes them all to
    whatever ``sys.stderr`` is when it writes (and its own switch for that is turned back on by
    its imports), so stderr is redirected for the block; errors still raise."""
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def artifact_location(tracking_uri: str) -> str | None:
    """Where a new experiment keeps its artifacts: ``mlartifacts/`` beside a SQLite store's
    database (MLflow's default for other stores)."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    database = Path(tracking_uri.removeprefix(prefix))
    return (database.resolve().parent / ARTIFACTS_FOLDER).as_uri()


def log_training(
    bundle_dir: str | Path,
    manifest: dict,
    metrics: dict,
    tracking_uri: str = DEFAULT_TRACKING_URI,
    *,
    register: bool = True,
    gates=None,
    quiet: bool = False,
) -> TrackedTraining:
    """Log one training run and (optionally) register the pyfunc model; a version whose
    ``gates`` (a :class:`icop.model.gates.GateReport`) all passed takes the alias ``champion``."""
    with _store(tracking_uri, quiet) as mlflow, tempfile.TemporaryDirectory(prefix="icop-mlflow-") as scratch:
        with mlflow.start_run() as run:
            mlflow.log_params(_params(manifest))
            mlflow.log_metrics({k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
            mlflow.set_tags({"icop.kind": manifest["kind"], DIGEST_TAG: manifest.get("manifest_sha256", "")})
            mlflow.set_tags(_gate_tags(gates))
            mlflow.log_artifacts(str(bundle_dir), artifact_path="bundle")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(Path(__file__).with_name("mlflow_model.py")),
                artifacts={"bundle": str(bundle_dir)},
                code_paths=[str(_code_copy(Path(scratch)))],
                signature=_signature(),
                input_example=_input_example(),
                registered_model_name=REGISTERED_MODEL if register else None,
                pip_requirements=pinned_requirements(),
            )
        version = str(info.registered_model_version) if register and info.registered_model_version is not None else None
        champion = bool(version and gates is not None and gates.passed)
        if version:
            client = mlflow.MlflowClient()
            for key, value in _gate_tags(gates).items():
                client.set_model_version_tag(REGISTERED_MODEL, version, key, value)
            if champion:
                client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION, version)
        return TrackedTraining(run.info.run_id, version, champion)


def log_evaluation(
    report: dict,
    files: dict[str, Path],
    figures: dict[str, str],
    tracking_uri: str = DEFAULT_TRACKING_URI,
    *,
    quiet: bool = False,
) -> str:
    """Log an evaluation: its test metrics, the report files and its figures (SVG), in the
    training run of the evaluated bundle when the store has one, else in a new run. Returns the run id."""
    from icop.evaluation.headlines import test_metrics

    digest = report["manifest"]["model_manifest_sha256"]
    with _store(tracking_uri, quiet) as mlflow:
        trained = mlflow.search_runs(
            experiment_names=[EXPERIMENT],
            filter_string=f"tags.`{DIGEST_TAG}` = '{digest}'",
            order_by=["start_time DESC"],
            max_results=1,
            output_format="list",
        )
        with mlflow.start_run(run_id=trained[0].info.run_id if trained else None) as run:
            if not trained:
                mlflow.set_tags({"icop.kind": "evaluation", DIGEST_TAG: digest})
            mlflow.log_metrics(test_metrics(report))
            for path in files.values():
                mlflow.log_artifact(str(path), artifact_path="evaluation")
            for name, svg in figures.items():
                mlflow.log_text(svg, f"evaluation/figures/{name}.svg")
            return run.info.run_id


def load_registered(tracking_uri: str = DEFAULT_TRACKING_URI, version: str = "latest"):
    """The registered ``icop-triage`` pyfunc model (``version``: a number, ``latest``, or
    ``@champion``)."""
    mlflow = _mlflow()
    mlflow.set_tracking_uri(tracking_uri)
    separator = "" if version.startswith("@") else "/"
    return mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}{separator}{version}")


def pinned_requirements() -> list[str]:
    """icop's run-time dependencies, each pinned at the version installed here (the logged
    model's requirements.txt: icop's own code travels with the model)."""
    pins = []
    for line in _declared_requirements():
        if ";" not in line:  # lines with a marker belong to extras (dev, synth, dask...), not needed to score
            name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line.strip()).group(0)
            pins.append(f"{name}=={metadata.version(name)}")
    return pins


def _declared_requirements() -> list[str]:
    """icop's dependencies as declared: pyproject.toml in a source checkout (an editable
    install's metadata is as old as its last install), else the installed metadata."""
    import tomllib

    import icop

    pyproject = Path(icop.__file__).parents[1] / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "icop":
            return list(project.get("dependencies", []))
    return metadata.requires("icop") or []


def _code_copy(scratch: Path) -> Path:
    """icop's package as it runs now, without caches and the shipped default model (the logged
    model scores with its own bundle)."""
    import icop

    source = Path(icop.__file__).parent

    def skipped(folder: str, names: list[str]) -> list[str]:
        here = Path(folder)
        return [n for n in names if n == "__pycache__" or n.endswith(".c") or (here.name == "resources" and n == "model")]

    target = scratch / "icop"
    shutil.copytree(source, target, ignore=skipped)
    return target


def _signature():
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    from icop.integrations.partition import COLUMNS

    types = {"float64": "double", "int64": "long", "int8": "integer", "string": "string"}
    return ModelSignature(
        inputs=Schema([ColSpec("string", "filename")]),
        outputs=Schema([ColSpec(types[dtype], name) for name, dtype in COLUMNS.items()]),
    )


def _input_example():
    import pandas as pd

    return pd.DataFrame({"filename": INPUT_EXAMPLE})


def _gate_tags(gates) -> dict[str, str]:
    if gates is None:
        return {}
    tags = {f"icop.gate.{g.name}": f"{'pass' if g.passed else 'fail'}: {g.detail}" for g in gates.gates}
    return {**tags, "icop.gates": gates.summary()}


def _params(manifest: dict) -> dict:
    config = manifest.get("config", {})
    return {
        **{f"config.{k}": v for k, v in config.items()},
        "kind": manifest["kind"],
        "baseline": manifest.get("baseline") or "none",
        "training_data_sha256": manifest["training_data"]["sha256"],
        "keywords_sha256": manifest["keywords"]["sha256"],
        "keywords_entries": manifest["keywords"]["entries"],
        "icop_version": manifest["icop_version"],
    }
