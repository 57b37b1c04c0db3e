"""The one-screen summary at the top of the report: what was evaluated, the key figures with
their 95% intervals and the world each comes from, and what to worry about, computed from the
other sections (never written by hand)."""

from __future__ import annotations

from icop.evaluation.headlines import open_world_fpr
from icop.model.calibration import DEFAULT_POINT

#: Expected calibration error above which calibration is listed as a concern.
ECE_CONCERN = 0.02
#: Evasion rate (with normalisation) above which a circumvention family is listed as a concern.
EVASION_CONCERN = 0.10
SYNTHETIC = "synthetic test split"
OPEN_WORLD = "open world: real benign names unseen in training"


def section(report: dict) -> dict:
    return {"evaluated": _evaluated(report), "key_figures": _key_figures(report), "concerns": _concerns(report)}


def _evaluated(report: dict) -> dict:
    sheet, ow = report["data_sheet"], report["open_world"]
    return {
        "model": report["model_card"]["model_name"],
        "model_digest": report["manifest"]["model_manifest_sha256"],
        "corpus_sha256": report["manifest"]["evaluation_data_sha256"],
        "rows": sheet["rows"],
        "positives": sheet["positives"],
        "negatives": sheet["rows"] - sheet["positives"],
        "worlds": [
            {"world": SYNTHETIC, "names": sheet["rows"], "what": "surrogate markers in benign carriers, and benign names"},
            {"world": OPEN_WORLD, "names": ow["negatives"], "what": "negatives built only from real benign items"},
        ],
    }


def _key_figures(report: dict) -> list[dict]:
    default = next(op for op in report["operating_points"] if op["name"] == DEFAULT_POINT)
    ow = open_world_fpr(report, DEFAULT_POINT)
    figures = [
        _figure("ROC-AUC", report["triage"]["roc_auc"], report["triage"]["roc_auc_ci"], SYNTHETIC, None),
        _figure("recall", default["tpr"], default["tpr_ci"], SYNTHETIC, DEFAULT_POINT),
        _figure("false positive rate", default["fpr"], default["fpr_ci"], SYNTHETIC, DEFAULT_POINT),
        _figure("false positive rate on real benign names", ow["rate"], ow["ci"], OPEN_WORLD, DEFAULT_POINT),
    ]
    bias = _bias_point(report, DEFAULT_POINT)
    for rate, label, pick in (("fpr", "highest subgroup FPR", max), ("tpr", "lowest subgroup recall", min)):
        rows = [
            g
            for g in bias["groups"]
            if g[rate] is not None and g["n_neg" if rate == "fpr" else "n_pos"] >= report["bias"]["min_n"]
        ]
        if rows:
            worst = pick(rows, key=lambda g: (g[rate], g["grouping"], g["group"]))
            figures.append(
                _figure(
                    label, worst[rate], worst[f"{rate}_ci"], SYNTHETIC, DEFAULT_POINT, f"{worst['grouping']}={worst['group']}"
                )
            )
    figures.append(_figure("expected calibration error", report["calibration"]["ece"], None, SYNTHETIC, None))
    return figures


def _figure(name, value, ci, world, point, group=None) -> dict:
    return {"name": name, "value": value, "ci": ci, "world": world, "operating_point": point, "group": group}


def _bias_point(report: dict, point: str) -> dict:
    return next(p for p in report["bias"]["points"] if p["operating_point"] == point)


def _concerns(report: dict) -> list[dict]:
    concerns = []
    for point in report["bias"]["points"]:
        if point["flagged"]:
            shown = "; ".join(point["flagged"][:3]) + ("; …" if len(point["flagged"]) > 3 else "")
            concerns.append(
                _concern("bias", f"{len(point['flagged'])} disparities flagged at {point['operating_point']}: {shown}")
            )
    icop = report["open_world"]["models"][0]
    for target in icop["targets"]:
        if target["status"] == "not met":
            where = f" (worst: {target['group']})" if target.get("group") and target["group"] != "all" else ""
            concerns.append(
                _concern(
                    "open-world",
                    f"target missed: {target['description']} {target['comparison']} {target['bound']:g}, "
                    f"measured {_g(target['value'])}{where}",
                )  # fmt: skip
            )
    if report["calibration"]["ece"] > ECE_CONCERN:
        concerns.append(
            _concern("calibration", f"expected calibration error {report['calibration']['ece']:.3f} above {ECE_CONCERN}")
        )
    evaded = [
        f
        for f in report["robustness"]["families"]
        if f.get("applicable") and f["with_normalisation"]["evasion_rate"] > EVASION_CONCERN
    ]
    if evaded:
        evaded.sort(key=lambda f: -f["with_normalisation"]["evasion_rate"])
        listed = ", ".join(f"{f['family']} {100 * f['with_normalisation']['evasion_rate']:.0f}%" for f in evaded)
        concerns.append(
            _concern(
                "robustness", f"circumvention families evading more than {EVASION_CONCERN:.0%} of flagged positives: {listed}"
            )
        )
    for note in report["robustness"]["normalisation_raises_evasion"]:
        concerns.append(_concern("robustness", f"normalisation raises evasion for {note['family']} ({note['cause']})"))
    return concerns


def _concern(topic: str, text: str) -> dict:
    anchors = {"bias": "bias", "open-world": "open-world", "calibration": "calibration", "robustness": "robustness"}
    return {"topic": topic, "text": text, "anchor": anchors[topic]}


def _g(value) -> str:
    return "–" if value is None else f"{value:.4g}"
