"""Experiment tracking with MLflow: the only module that imports it, and only when called.

Every ``icop train`` is a run in a local SQLite store (``sqlite:///mlflow.db`` by default): its
parameters, validation metrics, the bundle as an artifact, and a registered model
``icop-triage`` logged as a models-from-code pyfunc (``icop/mlflow_model.py``) that loads the
bundle and scores a ``filename`` column. No raw filename is ever logged: the input example is a
fixed synthetic string. Telemetry is off (docs/CONTENT_RULES.md rule 7).
"""

from __future__ import annotations

import os
from pathlib import Path

from icop.errors import IcopError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
REGISTERED_MODEL = "icop-triage"
EXPERIMENT = "icop"
#: A fixed, synthetic example: MLflow stores it with the model, so it must not be a user's data.
INPUT_EXAMPLE = ["Holiday.Video.2019.1080p.mkv", "IMG_0001.JPG"]


class TrackingError(IcopError):
    """MLflow is missing or the tracking store cannot be used."""


def _mlflow():
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    try:
        import mlflow
    except ImportError as err:  # pragma: no cover - mlflow is a dependency
        raise TrackingError("MLflow is not installed; install icop with its dependencies or use --no-track") from err
    return mlflow


def log_training(
    bundle_dir: str | Path, manifest: dict, metrics: dict, tracking_uri: str = DEFAULT_TRACKING_URI, register: bool = True
) -> str:
    """Log one training run and (optionally) register the pyfunc model; returns the run id."""
    mlflow = _mlflow()
    import pandas as pd
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(EXPERIMENT)
    signature = ModelSignature(
        inputs=Schema([ColSpec("string", "filename")]),
        outputs=Schema(
            [
                ColSpec("double", "probability"),
                ColSpec("long", "logit"),
                ColSpec("integer", "decision"),
                ColSpec("string", "keyword_ids"),
            ]
        ),
    )
    with mlflow.start_run() as run:
        mlflow.log_params(_params(manifest))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
        mlflow.set_tags({"icop.kind": manifest["kind"], "icop.bundle_manifest_sha256": manifest.get("manifest_sha256", "")})
        mlflow.log_artifacts(str(bundle_dir), artifact_path="bundle")
        mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(__file__).with_name("mlflow_model.py")),
            artifacts={"bundle": str(bundle_dir)},
            signature=signature,
            input_example=pd.DataFrame({"filename": INPUT_EXAMPLE}),
            registered_model_name=REGISTERED_MODEL if register else None,
            pip_requirements=[f"icop=={manifest['icop_version']}"],
        )
        return run.info.run_id


def load_registered(tracking_uri: str = DEFAULT_TRACKING_URI, version: str = "latest"):
    """The registered ``icop-triage`` pyfunc model."""
    mlflow = _mlflow()
    mlflow.set_tracking_uri(tracking_uri)
    return mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL}/{version}")


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
