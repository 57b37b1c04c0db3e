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


SERIES_COLORS = ("#1f4e79", "#c0a060", "#7a1f1f", "#4f7f3f", "#6f4f8f")


def _open_world_plot(report: dict) -> str:
    """FPR at the default point with Wilson 95% intervals, by joined names and by length band, one series a model.

    A rate of 0 cannot sit on a log axis: it is drawn as an open triangle at its upper bound.
    """
    models = report["open_world"]["models"]
    bound = next(t["bound"] for t in models[0]["targets"] if t["target"] == "overall_fpr_max")
    figure, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), sharey=True)
    for axis, cut, title in zip(axes, ("joined", "length"), ("joined benign names", "length of the name (characters)")):
        for i, model in enumerate(models):
            cells = [c for c in model["points"][0]["fpr"] if c["cut"] == cut and c["n"]]
            _rate_series(axis, cells, offset=(i - (len(models) - 1) / 2) * 0.12, color=SERIES_COLORS[i % len(SERIES_COLORS)])
            axis.plot([], [], "o", color=SERIES_COLORS[i % len(SERIES_COLORS)], label=model["model"])
        axis.axhline(bound, linestyle="--", color="#999999", linewidth=1, label="overall FPR target")
        axis.set_yscale("log")
        axis.set_xlabel(title)
        axis.grid(True, which="both", axis="y", alpha=0.3)
    axes[0].set_ylabel(f"false positive rate at {report['open_world']['default_point']}")
    axes[1].legend(fontsize="small")
    figure.suptitle("Open-world test: benign names flagged (95% Wilson intervals; ▽ = 0 flagged, upper bound)")
    return _svg(figure)


def _rate_series(axis, cells: list[dict], *, offset: float, color: str) -> None:
    x = [i + offset for i in range(len(cells))]
    hit = [(xi, c) for xi, c in zip(x, cells) if c["k"]]
    axis.errorbar(
        [xi for xi, _ in hit],
        [c["rate"] for _, c in hit],
        yerr=[[c["rate"] - c["ci"][0] for _, c in hit], [c["ci"][1] - c["rate"] for _, c in hit]],
        fmt="o",
        color=color,
        capsize=2,
    )
    zero = [(xi, c) for xi, c in zip(x, cells) if not c["k"]]
    axis.plot([xi for xi, _ in zero], [c["ci"][1] for _, c in zero], "v", color=color, fillstyle="none", linestyle="none")
    axis.set_xticks(range(len(cells)), [c["group"] for c in cells])


FLAG_COLOR, OK_COLOR, THIN_COLOR = "#b0302a", "#1f4e79", "#9a9a9a"


def forest_rows(report: dict, point: dict) -> list[dict]:
    """The groups a forest plot draws: single-column groupings (intersections stay in the table)
    where at least one class reaches the minimum n, in the suite's order."""
    min_n = report["bias"]["min_n"]
    return [g for g in point["groups"] if " x " not in g["grouping"] and max(g["n_pos"], g["n_neg"]) >= min_n]


def _bias_forest(report: dict, point: dict) -> str:
    """Per-group FPR (log axis) and recall with 95% Wilson intervals beside the overall line.

    Red: a flagged disparity on that rate; grey: fewer than min_n names of that class; a rate of
    0 cannot sit on a log axis and is drawn as an open triangle at its upper bound.
    """
    rows = forest_rows(report, point)
    min_n = report["bias"]["min_n"]
    figure, axes = plt.subplots(1, 2, figsize=(9.6, 0.9 + 0.2 * len(rows)), sharey=True)
    y = list(range(len(rows)))[::-1]
    for axis, rate, n_key, flag_key, title in (
        (axes[0], "fpr", "n_neg", "fpr_flag", "false positive rate (log)"),
        (axes[1], "tpr", "n_pos", "fnr_flag", "recall"),
    ):
        for yi, g in zip(y, rows):
            if g[rate] is None:
                continue
            color = FLAG_COLOR if g[flag_key] else (OK_COLOR if g[n_key] >= min_n else THIN_COLOR)
            low, high = g[f"{rate}_ci"]
            if rate == "fpr" and g[rate] == 0:
                axis.plot([high], [yi], "<", color=color, fillstyle="none")
                axis.plot([max(high / 30, 1e-5), high], [yi, yi], color=color, linewidth=1, alpha=0.5)
                continue
            axis.errorbar(
                [g[rate]], [yi], xerr=[[g[rate] - low], [high - g[rate]]], fmt="o", color=color, capsize=2, markersize=4
            )
        overall = point["overall"][rate]
        if rate == "fpr" and overall == 0:  # no line at 0 on a log axis: the upper bound, dotted
            axis.axvline(point["overall"]["fpr_ci"][1], linestyle=":", color="#444444", linewidth=1)
            axis.set_title(f"{title}; dotted: all names, 0 flagged (upper bound)", fontsize=9)
        else:
            axis.axvline(overall, linestyle="--", color="#444444", linewidth=1)
            axis.set_title(f"{title}; dashed: all names ({overall:.3g})", fontsize=9)
        axis.grid(True, axis="x", which="both", alpha=0.3)
        for yi, (a, b) in zip(y, zip(rows, rows[1:] + [None])):
            if b is not None and a["grouping"] != b["grouping"]:
                axis.axhline(yi - 0.5, color="#cccccc", linewidth=0.8)
    axes[0].set_xscale("log")
    drawn = [g["fpr_ci"][1] / 30 for g in rows if g["fpr_ci"]] + [
        g["fpr_ci"][0] for g in rows if g["fpr_ci"] and g["fpr_ci"][0] > 0
    ]
    axes[0].set_xlim(max(min(drawn, default=1e-4) / 2, 1e-6), 1)
    axes[1].set_xlim(-0.03, 1.03)
    axes[0].set_yticks(y, [f"{g['grouping']}: {g['group']}" for g in rows], fontsize=8)
    axes[0].set_ylim(-0.7, len(rows) - 0.3)
    figure.suptitle(
        f"Bias at {point['operating_point']}: per-group rates, 95% intervals (red: disparity, grey: n < {min_n})", fontsize=10
    )
    figure.tight_layout()
    return _svg(figure)


def _contribution_plot(report: dict) -> str:
    """Mean contribution of each feature family by outcome at the default point (logit units)."""
    outcomes = [o for o in report["transparency"]["contribution_by_outcome"] if o["sampled"]]
    families = [f for f in outcomes[0]["mean_by_family"] if any(abs(o["mean_by_family"][f] or 0) >= 0.05 for o in outcomes)]
    figure, axis = plt.subplots(figsize=(7.2, 0.8 + 0.45 * len(families)))
    height = 0.8 / len(outcomes)
    for i, outcome in enumerate(outcomes):
        axis.barh(
            [k + (i - (len(outcomes) - 1) / 2) * height for k in range(len(families))][::-1],
            [outcome["mean_by_family"][f] for f in families],
            height=height,
            color=SERIES_COLORS[i % len(SERIES_COLORS)],
            label=f"{outcome['outcome']} (n={outcome['n']})",
        )
    axis.set_yticks(list(range(len(families)))[::-1], families)
    axis.axvline(0, color="#444444", linewidth=0.8)
    axis.set_xlabel("mean contribution to the logit")
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(fontsize="small", loc="best")
    axis.set_title("What the model leans on, by outcome at the default point", fontsize=10)
    return _svg(figure)


def _side_by_side(section: dict) -> list[dict]:
    """For each operating point of icop, every model that has it, its cells beside icop's, row by row."""
    out = []
    for name in [p["name"] for p in section["models"][0]["points"]]:
        models = [mo for mo in section["models"] if any(p["name"] == name for p in mo["points"])]
        points = [next(p for p in mo["points"] if p["name"] == name) for mo in models]
        out.append(
            {
                "name": name,
                "models": [mo["model"] for mo in models],
                "fpr": _rows(points, "fpr"),
                "recall": _rows(points, "recall"),
                "decoys": [p["decoy_flag_rate"] for p in points],
                "ratios": [[p["ratios"][i] for p in points] for i in range(len(points[0]["ratios"]))],
            }
        )
    return out


def _rows(points: list[dict], key: str) -> dict[str, list[dict]]:
    """Cells of ``key`` grouped by cut: ``{cut: [{"group", "n", "cells": [one per model]}]}``."""
    rows: dict[str, list[dict]] = {}
    for i, cell in enumerate(points[0][key]):
        rows.setdefault(cell["cut"], []).append({"group": cell["group"], "n": cell["n"], "cells": [p[key][i] for p in points]})
    return rows


def figures(report: dict) -> dict[str, str]:
    """Every figure of the report, by name, as SVG (the HTML page inlines them; MLflow logs them)."""
    return {
        "det": _det_plot(report),
        "reliability": _reliability_plot(report),
        "robustness": _robustness_plot(report),
        "open_world": _open_world_plot(report),
        "contributions": _contribution_plot(report),
        **{f"bias_{p['operating_point']}": _bias_forest(report, p) for p in report["bias"]["points"]},
    }


def render(report: dict) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("icop.evaluation").joinpath("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["num"] = _number
    environment.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.2f}%"
    environment.filters["ci"] = lambda v: "–" if not v else f"[{_number(v[0])}, {'∞' if v[1] is None else _number(v[1])}]"
    return environment.get_template("report.html.j2").render(
        r=report,
        plots=figures(report),
        open_world=_side_by_side(report["open_world"]),
        forest_rows=lambda point: forest_rows(report, point),
        raw_json=json.dumps(report, indent=1, sort_keys=True),
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
