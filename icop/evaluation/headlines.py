"""The headline numbers of an evaluation report, by stable names: what ``make run`` prints and
what MLflow records as a run's test metrics (icop/integrations/tracking.py)."""

from __future__ import annotations


def test_metrics(report: dict) -> dict[str, float]:
    """Test-split metrics of the evaluated model: ROC-AUC, average precision, TPR and FPR at
    every operating point, and the open-world FPR (every real benign name unseen in training)
    at each point the open-world section measured."""
    metrics = {
        "test_roc_auc": report["triage"]["roc_auc"],
        "test_average_precision": report["triage"]["average_precision"],
    }
    for point in report["operating_points"]:
        metrics[f"test_tpr_at_{point['name']}"] = point["tpr"]
        metrics[f"test_fpr_at_{point['name']}"] = point["fpr"]
    for point in report["open_world"]["models"][0]["points"]:
        metrics[f"open_world_fpr_at_{point['name']}"] = open_world_fpr(report, point["name"])["rate"]
    return {name: float(value) for name, value in metrics.items() if value is not None}


def open_world_fpr(report: dict, point: str | None = None) -> dict:
    """The open-world FPR cell (``rate``, ``ci``, ``n``, ``k``) of the evaluated model over every
    negative (cut ``all``), at ``point`` (default: the default operating point, listed first)."""
    points = report["open_world"]["models"][0]["points"]
    chosen = next(p for p in points if point is None or p["name"] == point)
    return {"point": chosen["name"], **next(cell for cell in chosen["fpr"] if cell["cut"] == "all")}
