"""The gates a trained model passes before it becomes the registry's ``champion``.

A model that fails a gate is still registered (a researcher can load any version), but the
alias that deployments follow (``models:/icop-triage@champion``) moves only to a model that:

- is an icop model (a ``linear`` bundle): baselines are for comparison, triage refuses them;
- carries the default operating point (``fpr_0.001``), which triage applies when not told otherwise;
- reaches ``min_validation_roc_auc`` on its validation split (eval/gates.toml);
- passes the ONNX parity check: its exported graph gives the Python scorer's integer logits on
  ``parity_names`` of its validation names and the hostile ones (icop/integrations/onnx.py),
  so every runtime scores it alike.

The gates run in order and stop at the first failure (the parity check is the slow one).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from icop import resources
from icop.errors import IcopError, load_settings
from icop.model.bundle import Bundle
from icop.model.calibration import DEFAULT_POINT

GATES_FILE = Path(resources.path(resources.EVAL)) / "gates.toml"
KEYS = ("min_validation_roc_auc", "parity_names")


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class GateReport:
    gates: tuple[Gate, ...]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def summary(self) -> str:
        failed = [g for g in self.gates if not g.passed]
        return "passed every gate" if not failed else f"failed {failed[0].name}: {failed[0].detail}"


def load_gates(path: str | Path | None = None) -> dict:
    """The gate settings (TOML): every key of :data:`KEYS`, no other."""
    return load_settings(path or GATES_FILE, KEYS, fix="see eval/gates.toml")


def check(loaded: Bundle, metrics: dict, settings: dict, names: list[str]) -> GateReport:
    """Run the gates on a loaded bundle, its validation metrics and names (module docstring)."""
    gates: list[Gate] = []
    for gate in (_icop_model, _default_point, _validation_auc, _onnx_parity):
        gates.append(gate(loaded, metrics, settings, names))
        if not gates[-1].passed:
            break
    return GateReport(tuple(gates))


def _icop_model(loaded: Bundle, metrics: dict, settings: dict, names: list[str]) -> Gate:
    kind = loaded.model.kind
    return Gate("icop model", kind == "linear", f"a {kind} {'model' if kind == 'linear' else 'baseline'}")


def _default_point(loaded: Bundle, metrics: dict, settings: dict, names: list[str]) -> Gate:
    points = sorted(loaded.model.operating_points)
    return Gate("default operating point", DEFAULT_POINT in points, f"{DEFAULT_POINT} among {', '.join(points) or 'none'}")


def _validation_auc(loaded: Bundle, metrics: dict, settings: dict, names: list[str]) -> Gate:
    auc, bound = float(metrics["validation_roc_auc"]), float(settings["min_validation_roc_auc"])
    return Gate("validation ROC-AUC", auc >= bound, f"{auc:.6f} {'>=' if auc >= bound else '<'} {bound}")


def _onnx_parity(loaded: Bundle, metrics: dict, settings: dict, names: list[str]) -> Gate:
    from icop.integrations import onnx

    parity = [*names[: int(settings["parity_names"])], *onnx.HOSTILE_NAMES]
    with tempfile.TemporaryDirectory(prefix="icop-gate-") as folder:
        try:
            worst = onnx.export_verified(loaded.model, Path(folder) / "model.onnx", loaded.digest, parity)
        except IcopError as err:
            return Gate("ONNX parity", False, str(err))
    return Gate("ONNX parity", True, f"integer logits identical, max |delta p| {worst:.2g}")
