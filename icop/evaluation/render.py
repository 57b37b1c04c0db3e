"""report.json -> a self-contained report.html (inline CSS and SVG, no external assets).

Rendering is deterministic: matplotlib's SVG ids are salted with a fixed string and carry no
date, numbers are formatted by the template, so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import json
import re
from importlib.resources import files

import jinja2
import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt

matplotlib.rcParams["svg.hashsalt"] = "icop"
matplotlib.rcParams["svg.fonttype"] = "none"


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)  # RDF boilerplate
    return text


def _det_plot(report: dict) -> str:
    figure, axis = plt.subplots(figsize=(4.2, 3.4))
    points = [p for p in report["triage"]["det"] if p["fpr"] > 0 and p["fnr"] > 0]
    axis.plot([p["fpr"] for p in points], [p["fnr"] for p in points], marker=".", color="#1f4e79")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("false positive rate")
    axis.set_ylabel("false negative rate")
    axis.set_title("DET curve (test split)")
    axis.grid(True, which="both", alpha=0.3)
    return _svg(figure)


def _reliability_plot(report: dict) -> str:
    figure, axis = plt.subplots(figsize=(4.2, 3.4))
    bins = report["calibration"]["reliability"]
    axis.plot([0, 1], [0, 1], linestyle="--", color="#999999")
    axis.plot([b["mean_probability"] for b in bins], [b["observed_rate"] for b in bins], marker="o", color="#7a1f1f")
    axis.set_xlabel("mean predicted probability")
    axis.set_ylabel("observed positive rate")
    axis.set_title("Reliability (equal-mass bins)")
    return _svg(figure)


def _robustness_plot(report: dict) -> str:
    families = [f for f in report["robustness"]["families"] if f.get("applicable")]
    figure, axis = plt.subplots(figsize=(6.4, 3.2))
    x = range(len(families))
    axis.bar(
        [i - 0.2 for i in x],
        [f["with_normalisation"]["evasion_rate"] for f in families],
        width=0.4,
        label="with normalisation",
        color="#1f4e79",
    )
    axis.bar(
        [i + 0.2 for i in x],
        [f["without_normalisation"]["evasion_rate"] for f in families],
        width=0.4,
        label="without",
        color="#c0a060",
    )
    axis.set_xticks(list(x), [f["family"] for f in families], rotation=40, ha="right")
    axis.set_ylabel("evasion rate")
    axis.set_title("Evasion by perturbation family")
    axis.legend()
    return _svg(figure)


def render(report: dict) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("icop.evaluation").joinpath("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["num"] = _number
    environment.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.2f}%"
    environment.filters["ci"] = lambda v: "–" if not v else f"[{_number(v[0])}, {_number(v[1])}]"
    plots = {"det": _det_plot(report), "reliability": _reliability_plot(report), "robustness": _robustness_plot(report)}
    return environment.get_template("report.html.j2").render(
        r=report, plots=plots, raw_json=json.dumps(report, indent=1, sort_keys=True)
    )


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "n/a"
        return f"{value:.4g}" if abs(value) < 1e-3 and value else f"{value:.4f}"
    return str(value)
