"""The evaluation harness (``icop evaluate``): metrics, report JSON and its HTML rendering."""

from __future__ import annotations

import json
import math
from pathlib import Path

from icop.evaluation.report import EvaluationError, build, load_test_data
from icop.io import tables
from icop.progress import Progress
from icop.progress import report as report_progress

__all__ = ["EvaluationError", "evaluate", "to_json"]
#: Stages reported to ``progress``: read, score, score for the open world, build the sections, render.
STAGES = 5


def to_json(report: dict) -> str:
    """Stable JSON: sorted keys, NaN as null, numpy scalars as numbers."""
    return json.dumps(_clean(report), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def evaluate(
    model: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    baselines=(),
    seed: int = 0,
    include_examples: bool = False,
    subgroups: Path | None = None,
    perturbations: Path | None = None,
    open_world: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write ``report.json`` and ``report.html`` into ``out``; returns their paths.

    ``subgroups``, ``perturbations`` and ``open_world`` replace the shipped suites of eval/ (bias
    cuts, robustness families, open-world targets); ``progress`` hears of each stage.
    """
    from icop.evaluation.render import render

    report_progress(progress, "read the test split", 0, STAGES)
    test_data = load_test_data(data)
    built = build(model, test_data, list(baselines), seed, include_examples, subgroups, perturbations, open_world, progress)
    report_progress(progress, "render the HTML page", STAGES - 1, STAGES)
    report = json.loads(to_json(built))
    out = Path(out)
    paths = {"json": out / "report.json", "html": out / "report.html"}
    with tables.atomic_path(paths["json"]) as tmp:
        tmp.write_text(to_json(report), encoding="utf-8")
    with tables.atomic_path(paths["html"]) as tmp:
        tmp.write_text(render(report), encoding="utf-8")
    return paths
