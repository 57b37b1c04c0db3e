"""The evaluation report: one schema-versioned JSON document an auditor can re-run.

Sections (docs/EVALUATION.md): manifest, model card and data sheet summary,
operating points with prevalence-adjusted precision, the open world (open_world.py: real benign
names unseen in training, icop beside every baseline, the targets of eval/open_world.toml),
triage curves, calibration, bias, robustness to circumvention, transparency, baselines, privacy
and limitations. Every number is
computed from the test split of a corpus with its metadata columns; thresholds come frozen
from the bundle. The HTML page is rendered from this JSON (render.py).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icop import __version__, resources
from icop.errors import ConfigError, InputError, load_settings
from icop.evaluation import metrics as m
from icop.evaluation import open_world, privacy, summary
from icop.features import FAMILIES
from icop.io import tables
from icop.model import bundle
from icop.model.calibration import DEFAULT_POINT
from icop.progress import Progress
from icop.progress import report as report_progress
from icop.scoring.explain import explain
from icop.scoring.scorer import BatchScorer
from icop.synth import obfuscation
from icop.synth.schema import FIELDS
from icop.synth.surrogates import latent_lexicon
from icop.text.normalize import NO_OBFUSCATION, Normalized, normalize, normalize_batch

SCHEMA_VERSION = 2
PREVALENCES = (1e-4, 1e-3, 1e-2)
TPR_TARGETS = (0.90, 0.95, 0.99)
RECALL_TARGETS = (0.5, 0.8, 0.9, 0.95)
K_VALUES = (10, 100, 1000)
EVAL_DIR = Path(resources.path(resources.EVAL))
COLUMNS = FIELDS


class EvaluationError(InputError):
    """Evaluation inputs that cannot be used; names the file and the fix."""


@dataclass
class TestData:
    path: str
    sha256: str
    rows: list[dict]
    seen_sources: frozenset[str] | None  # sources of the corpus' training and validation names (None: it has none)

    def column(self, name: str) -> list:
        return [r[name] for r in self.rows]


def load_test_data(path: str | Path, split: str = "test") -> TestData:
    table = tables.read_table(path)
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise EvaluationError(f"{path}: missing column(s) {missing}; evaluate needs a corpus with its metadata (icop synth)")
    records = table.select(list(COLUMNS)).to_pylist()
    rows = [r for r in records if r["split"] == split]
    if not rows or len({r["label"] for r in rows}) < 2:
        raise EvaluationError(f"{path}: the {split} split needs names of both classes")
    seen = [r for r in records if r["split"] in ("train", "validation")]
    seen_sources = frozenset(s for r in seen for s in r["sources"]) if seen else None
    return TestData(str(path), hashlib.sha256(Path(path).read_bytes()).hexdigest(), rows, seen_sources)


#: The keys of the evaluation suites (eval/*.toml): all required, no other allowed.
SUBGROUP_KEYS = ("operating_points", "columns", "intersections", "min_n", "band_low", "band_high", "alpha", "bootstrap")
PERTURBATION_KEYS = ("seed", "sample_positives", "sample_negatives", "families")


def load_suite(path: str | Path, keys: tuple[str, ...]) -> dict:
    """An evaluation suite (TOML); an unknown key names the nearest valid one, a missing key is named."""
    return load_settings(path, keys, fix="see eval/ for the shipped suites")


def _check_points(suite: dict, path, model) -> None:
    unknown = [p for p in suite["operating_points"] if p not in model.operating_points]
    if unknown or not suite["operating_points"]:
        raise ConfigError(
            f"operating_points {unknown or '(empty)'} not in the model",
            path=str(path),
            fix=f"use some of {sorted(model.operating_points)}",
        )


def build(
    model_path: str | Path,
    data: TestData,
    baselines: list[str | Path] = (),
    seed: int = 0,
    include_examples: bool = False,
    subgroups: Path | None = None,
    perturbations: Path | None = None,
    open_world_suite: Path | None = None,
    progress: Progress | None = None,
) -> dict:
    report_progress(progress, "score the test split", 1, 5)
    _loaded = bundle.load(model_path)
    model, manifest = _loaded.model, _loaded.manifest
    scorer = BatchScorer(model)
    texts = data.column("text")
    labels = np.array(data.column("label"), dtype=bool)
    normalized = normalize_batch(texts)
    logits, ids = _score(scorer, normalized)
    probabilities = model.probabilities(logits)
    threshold = model.operating_points[DEFAULT_POINT].threshold
    flagged = logits >= threshold
    sub = load_suite(subgroups or EVAL_DIR / "subgroups.toml", SUBGROUP_KEYS)
    _check_points(sub, subgroups or EVAL_DIR / "subgroups.toml", model)
    suites = load_suite(perturbations or EVAL_DIR / "perturbations.toml", PERTURBATION_KEYS)
    targets = load_suite(open_world_suite or EVAL_DIR / "open_world.toml", open_world.SUITE_KEYS)
    report_progress(progress, "score every model for the open world", 2, 5)
    scored = open_world.score_bundles([model_path, *baselines], normalized)
    cuts = open_world.build_cuts(data.rows, seen_sources=data.seen_sources)
    report_progress(progress, "bias, robustness and the other sections", 3, 5)
    report = {
        "schema_version": SCHEMA_VERSION,
        "icop_version": __version__,
        "manifest": _manifest(model_path, manifest, data, seed, suites, baselines, include_examples),
        "model_card": _model_card(manifest),
        "data_sheet": _data_sheet(data),
        "operating_points": _operating_points(model, logits, labels),
        "triage": _triage(labels, logits, seed),
        "calibration": _calibration(labels, probabilities, data),
        "bias": _bias(data, labels, logits, model, sub, seed),
        "robustness": _robustness(model, scorer, data, labels, threshold, suites),
        "transparency": _transparency(model, scorer, data, labels, flagged, ids, include_examples, seed),
        "open_world": open_world.section(scored, cuts, suite=targets),
        "baselines": _baselines(scored, data, labels),
        "privacy": privacy.section(model, _privacy_sample(data, labels, flagged, seed), include_examples=include_examples),
        "limitations": LIMITATIONS,
    }
    report["summary"] = summary.section(report)
    return report


def _privacy_sample(data: TestData, labels, flagged, seed) -> list[str]:
    """Three flagged positives and three negatives (so that keyword ids and empty cells both show)."""
    rng = random.Random(seed)
    picked = []
    for rows in (flagged & labels, ~labels):
        candidates = np.flatnonzero(rows).tolist()
        picked += sorted(rng.sample(candidates, min(3, len(candidates))))
    return [data.rows[i]["text"] for i in picked]


LIMITATIONS = [
    "Positives are synthetic: surrogate pseudo-words placed into real benign carriers. Recall measures how well the "
    "model finds the generator's markers, not real ones; no real positive name exists here, so recall on real names "
    "and precision on a real queue are unmeasured.",
    "The open-world section measures the false-positive side of the synthetic-to-real gap: its negatives are real "
    "benign items (word lists, person, place and company names, installed software's file and folder names) that no "
    "training name contains, with whole sources held out of training, cut by source, language, script, person-name "
    "origin, length, joined names and folder path. It cannot measure naming habits beyond the generator's templates "
    "(items are unseen, the ways of assembling them into names are not), sources no installed package offers, nor "
    "origins with fewer negatives than the suite's minimum.",
    "The test split shares the generator's templates and the surrogate syllable statistics with the training split; "
    "splitting by item keeps every test item out of training but not the style of its name.",
    "Prevalence in the corpus is arbitrary; precision is reported at assumed real base rates (operating points).",
    "Bias groups are the generator's metadata; real identity and language groups need real, labelled data.",
    "A filename is never a verdict: every flagged name needs human review of the content.",
]


def _score(scorer: BatchScorer, normalized: list[Normalized]) -> tuple[np.ndarray, list]:
    logits, ids = [], []
    for i in range(0, len(normalized), 10_000):
        batch_logits, batch_ids = scorer.integer_logits(normalized[i : i + 10_000])
        logits.append(batch_logits)
        ids += batch_ids
    return np.concatenate(logits), ids


def _manifest(model_path, manifest, data: TestData, seed, suites, baselines, include_examples) -> dict:
    files = manifest["files"]
    replay = f"icop evaluate --model {model_path} --data {data.path} --seed {seed}"
    replay += "".join(f" --baseline {b}" for b in baselines) + (" --include-examples" if include_examples else "")
    return {
        "model_manifest_sha256": bundle.load(model_path).digest,
        "model_kind": manifest["kind"],
        "weights_sha256": files.get("weights.npy"),
        "tokenizer_sha256": files.get("subwords.model"),
        "keyword_lists_sha256": manifest["keywords"]["sha256"],
        "training_data_sha256": manifest["training_data"]["sha256"],
        "evaluation_data_sha256": data.sha256,
        "git_commit": manifest.get("git_commit"),
        "seeds": {"bootstrap": seed, "perturbations": suites["seed"], "training": manifest["seed"]},
        "replay_command": replay,
    }


def _model_card(manifest) -> dict:
    return {
        "model_name": manifest["model_name"],
        "kind": manifest["kind"],
        "validation_metrics": manifest["metrics"],
        "training_splits": manifest["training_data"]["splits"],
        "keyword_lists": manifest["keywords"],
        "intended_use": "Ordering a human review queue of P2P filenames; never a verdict.",
    }


def _data_sheet(data: TestData) -> dict:
    counts = Counter((r["lang"], r["label"]) for r in data.rows)
    return {
        "rows": len(data.rows),
        "positives": sum(r["label"] for r in data.rows),
        "by_language": [
            {"lang": lang, "negatives": counts[(lang, 0)], "positives": counts[(lang, 1)]}
            for lang in sorted({lang for lang, _ in counts})
        ],
        "marker_kinds": dict(sorted(Counter(r["marker_kind"] for r in data.rows).items())),
    }


def _operating_points(model, logits, labels) -> list[dict]:
    out = []
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    for name, op in model.operating_points.items():
        flagged = logits >= op.threshold
        tp, fp = int((flagged & labels).sum()), int((flagged & ~labels).sum())
        tpr, fpr = tp / n_pos, fp / n_neg
        out.append(
            {
                "name": name,
                "rule": op.rule,
                "threshold_logit": op.threshold,
                "threshold_probability": op.probability,
                "tpr": tpr,
                "tpr_ci": m.wilson(tp, n_pos),
                "fpr": fpr,
                "fpr_ci": m.wilson(fp, n_neg),
                "fpr_upper_rule_of_three": m.rule_of_three(n_neg) if fp == 0 else None,
                "precision_at_test_prevalence": tp / max(tp + fp, 1),
                "ppv_at_prevalence": {f"{p:g}": m.ppv_at_prevalence(tpr, fpr, p) for p in PREVALENCES},
                "validation": {"tpr": op.tpr, "fpr": op.fpr},
            }
        )
    return out


def _triage(labels, logits, seed) -> dict:
    scores = logits.astype(np.float64)
    auc_ci = m.stratified_bootstrap(labels, scores, m.roc_auc, n_boot=200, seed=seed)
    order = np.argsort(-scores, kind="stable")
    det = _det_points(labels, scores)
    return {
        "roc_auc": m.roc_auc(labels, scores),
        "roc_auc_ci": auc_ci,
        "average_precision": m.average_precision(labels, scores),
        "fpr_at_tpr": {f"{t:g}": m.fpr_at_tpr(labels, scores, t) for t in TPR_TARGETS},
        "precision_at_k": {str(k): m.precision_at_k(labels, scores, k) for k in K_VALUES},
        "recall_at_k": {str(k): m.recall_at_k(labels, scores, k) for k in K_VALUES},
        "workload_at_recall": {f"{r:g}": m.workload_at_recall(labels, scores, r) for r in RECALL_TARGETS},
        "wss_at_recall": {f"{r:g}": m.wss_at_recall(labels, scores, r) for r in RECALL_TARGETS},
        "det": det,
        "queue_positives_first_100": int(labels[order[:100]].sum()),
    }


def _det_points(labels, scores, points: int = 60) -> list[dict]:
    thresholds = np.unique(np.quantile(scores, np.linspace(0, 1, points)))
    return [{"fpr": fpr, "fnr": 1 - tpr} for tpr, fpr in (m.tpr_fpr_at(labels, scores, t) for t in thresholds)]


def _calibration(labels, probabilities, data: TestData) -> dict:
    by_language = []
    langs = np.array(data.column("lang"))
    for lang in sorted(set(langs)):
        g = langs == lang
        by_language.append(
            {
                "group": lang,
                "n": int(g.sum()),
                "ece": m.ece(labels[g], probabilities[g]),
                "brier": m.brier(labels[g], probabilities[g]),
            }
        )
    return {
        "ece": m.ece(labels, probabilities),
        "ece_bins": 15,
        "ece_binning": "equal mass",
        "brier": m.brier(labels, probabilities),
        "reliability": m.reliability(labels, probabilities),
        "by_language": by_language,
    }


# --------------------------------------------------------------------------- bias


def _memberships(data: TestData, columns: list[str], intersections: list[list[str]]) -> dict[str, dict[str, np.ndarray]]:
    out = {column: open_world.membership(data.column(column)) for column in columns}
    for a, b in intersections:
        out[f"{a} x {b}"] = {f"{ka} & {kb}": ga & gb for ka, ga in out[a].items() for kb, gb in out[b].items() if (ga & gb).any()}
    return out


def _bias(data: TestData, labels, logits, model, config, seed) -> dict:
    """Per-group rates at each operating point of the suite; the threshold-free AUCs once per group."""
    scores = logits.astype(np.float64)
    memberships = _memberships(data, config["columns"], config["intersections"])
    aucs = {
        (grouping, name): _group_aucs(g, labels, scores, config, seed)
        for grouping, groups in memberships.items()
        for name, g in groups.items()
    }
    points = []
    for point in config["operating_points"]:
        flagged = logits >= model.operating_points[point].threshold
        points.append(_bias_at(point, memberships, aucs, labels, flagged, config))
    return {
        "reference": "all names outside the group",
        "band": [config["band_low"], config["band_high"]],
        "alpha": config["alpha"],
        "min_n": config["min_n"],
        "correction": "Holm (within each operating point)",
        "worst_bpsn_auc": min((a["bpsn_auc"] for a in aucs.values() if a["bpsn_auc"] is not None), default=None),
        "points": points,
    }


def _bias_at(point: str, memberships, aucs, labels, flagged, config) -> dict:
    min_n, low, high = config["min_n"], config["band_low"], config["band_high"]
    rows, tests = [], []
    for grouping, groups in memberships.items():
        for name, g in groups.items():
            row = _group_rates(grouping, name, g, labels, flagged, min_n) | aucs[(grouping, name)]
            if " x " in grouping and not row["sufficient"]:
                continue  # intersections are shown only where both classes reach the minimum n
            rows.append(row)
            tests += [(row, rate) for rate in ("fpr", "fnr") if row[f"{rate}_p"] is not None]
    adjusted = m.holm([row[f"{rate}_p"] for row, rate in tests]) if tests else []
    for (row, rate), p in zip(tests, adjusted):
        row[f"{rate}_p_holm"] = p
        ratio = row[f"{rate}_ratio"]
        row[f"{rate}_flag"] = bool(ratio is not None and not (low <= ratio <= high) and p < config["alpha"])
    for row in rows:
        row["status"] = group_status(row)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    tp, fp = int((flagged & labels).sum()), int((flagged & ~labels).sum())
    return {
        "operating_point": point,
        "overall": {"tpr": tp / n_pos, "tpr_ci": m.wilson(tp, n_pos), "fpr": fp / n_neg, "fpr_ci": m.wilson(fp, n_neg)},
        "groups": rows,
        "flagged": [
            f"{r['grouping']}={r['group']} ({rate.upper()} ratio {r[f'{rate}_ratio']:.2f})"
            for r in rows
            for rate in ("fpr", "fnr")
            if r[f"{rate}_flag"]
        ],
    }


#: A group's status: a flagged disparity whatever the evidence on its other rate, else "ok" when
#: both classes reach the minimum n, else "insufficient evidence".
DISPARITY = "disparity"


def group_status(row: dict) -> str:
    if row["fpr_flag"] or row["fnr_flag"]:
        return DISPARITY
    return "ok" if row["sufficient"] else m.INSUFFICIENT


def _group_rates(grouping, name, g, labels, flagged, min_n) -> dict:
    pos, neg = g & labels, g & ~labels
    rest_pos, rest_neg = ~g & labels, ~g & ~labels
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    tp, fp = int((flagged & pos).sum()), int((flagged & neg).sum())
    fn = n_pos - tp
    rest_fp, rest_fn = int((flagged & rest_neg).sum()), int((~flagged & rest_pos).sum())
    row = {
        "grouping": grouping,
        "group": name,
        "n": int(g.sum()),
        "n_pos": n_pos,
        "n_neg": n_neg,
        "sufficient": m.sufficient(n_pos, n_neg, min_n),
        "tpr": tp / n_pos if n_pos else None,
        "tpr_ci": m.wilson(tp, n_pos) if n_pos else None,
        "fpr": fp / n_neg if n_neg else None,
        "fpr_ci": m.wilson(fp, n_neg) if n_neg else None,
        "fnr": fn / n_pos if n_pos else None,
        "ppv": tp / (tp + fp) if tp + fp else None,
        "fpr_ratio": None,
        "fnr_ratio": None,
        "fpr_p": None,
        "fnr_p": None,
        "fpr_p_holm": None,
        "fnr_p_holm": None,
        "fpr_flag": False,
        "fnr_flag": False,
    }
    if n_neg >= min_n and rest_neg.sum():
        rest_fpr = rest_fp / rest_neg.sum()
        row["fpr_ratio"] = (fp / n_neg) / rest_fpr if rest_fpr else None
        row["fpr_p"] = m.two_proportion_p(fp, n_neg, rest_fp, int(rest_neg.sum()))
    if n_pos >= min_n and rest_pos.sum():
        rest_fnr = rest_fn / rest_pos.sum()
        row["fnr_ratio"] = (fn / n_pos) / rest_fnr if rest_fnr else None
        row["fnr_p"] = m.two_proportion_p(fn, n_pos, rest_fn, int(rest_pos.sum()))
    return row


def _group_aucs(g, labels, scores, config, seed) -> dict:
    """Subgroup, BPSN and BNSP AUCs (threshold-free) where both classes reach the minimum n."""
    min_n = config["min_n"]
    aucs = {"subgroup_auc": None, "bpsn_auc": None, "bnsp_auc": None, "bpsn_auc_ci": None}
    if m.sufficient(int((g & labels).sum()), int((g & ~labels).sum()), min_n):
        aucs["subgroup_auc"] = m.subgroup_auc(labels, scores, g)
        aucs["bpsn_auc"] = m.bpsn_auc(labels, scores, g)
        aucs["bnsp_auc"] = m.bnsp_auc(labels, scores, g)
        aucs["bpsn_auc_ci"] = m.stratified_bootstrap(labels, scores, m.bpsn_auc, n_boot=config["bootstrap"], seed=seed, extra=g)
    elif (g & ~labels).sum() >= min_n and (~g & labels).sum() >= min_n:
        aucs["bpsn_auc"] = m.bpsn_auc(labels, scores, g)  # negatives-only groups (decoys): BPSN still says something
    return aucs


# --------------------------------------------------------------------------- robustness


def _robustness(model, scorer, data: TestData, labels, threshold, suites) -> dict:
    rng = random.Random(suites["seed"])
    lexicon = {t.id: t.term for t in latent_lexicon()}
    positives = [i for i, r in enumerate(data.rows) if r["label"] and r["marker_ids"]]
    negatives = [
        i for i, r in enumerate(data.rows) if not r["label"] and r["category"] not in ("camera", "messaging", "dashcam", "hash")
    ]
    positives = sorted(rng.sample(positives, min(len(positives), suites["sample_positives"])))
    negatives = sorted(rng.sample(negatives, min(len(negatives), suites["sample_negatives"])))
    families = []
    for family in suites["families"]:
        family_rng = random.Random(f"{suites['seed']}:{family}")
        originals, perturbed, is_positive = [], [], []
        for i in positives + negatives:
            text = data.rows[i]["text"]
            changed = _perturb(text, data.rows[i], family, family_rng, lexicon)
            if changed is not None:
                originals.append(text)
                perturbed.append(changed)
                is_positive.append(bool(data.rows[i]["label"]))
        if not originals:
            families.append({"family": family, "applicable": 0})
            continue
        y = np.array(is_positive)
        row = {"family": family, "applicable": len(originals), "positives": int(y.sum()), "negatives": int((~y).sum())}
        layers = {}
        for layer, view in (("with_normalisation", normalize), ("without_normalisation", _unnormalised)):
            layers[layer] = _Layer([view(t) for t in originals], [view(t) for t in perturbed], scorer)
            row[layer] = _flip_rates(y, layers[layer].before, layers[layer].after, threshold, model.scale_bits)
        row["comparison"] = _compare_layers(model, y, layers, threshold)
        families.append(row)
    return {
        "threshold": DEFAULT_POINT,
        "definition": "evasion rate: flagged positives no longer flagged after the perturbation (of the flagged); "
        "FP induction: unflagged negatives flagged after it (of the unflagged); delta logit in logit units.",
        "without_normalisation": "the model applied to lower-cased raw text as every view (no decoding repairs, "
        "no invisible removal, no anti-obfuscation)",
        "families": families,
        "normalisation_raises_evasion": [note for f in families if (note := _normalisation_note(f))],
    }


def _normalisation_note(family: dict) -> dict | None:
    """Why evasion is higher with normalisation than without, for one family (None when it is not).

    "selection": on the positives both layers flag, normalisation evades no more; the higher rate
    comes from the positives only normalisation flags (markers already disguised in the corpus),
    which are the fragile ones. "pipeline": on the same positives normalisation evades more; the
    feature family whose contribution falls most beyond its fall without normalisation is named.
    """
    if not family.get("applicable"):
        return None
    with_norm, without = family["with_normalisation"]["evasion_rate"], family["without_normalisation"]["evasion_rate"]
    if with_norm <= without:
        return None
    c = family["comparison"]
    same = f"on the {c['flagged_by_both']} positives both flag, evasion is {_pct(c['evasion_both_with_normalisation'])} with "
    same += f"normalisation and {_pct(c['evasion_both_without_normalisation'])} without"
    lost = f"{_pct(c['keyword_entry_lost'])} of the flagged positives lose their keyword entry (lists match a marker as listed)"
    if (c["evasion_both_with_normalisation"] or 0) <= (c["evasion_both_without_normalisation"] or 0):
        cause = "selection"
        text = (
            f"normalisation flags {c['flagged_only_with_normalisation']} positives before the perturbation that the raw text "
            f"misses, and {_pct(c['evasion_only_with_normalisation'])} of those are evaded; {same}; {lost}."
        )
    else:
        deltas = c["mean_delta_by_family"]
        gap = {
            k: deltas["with_normalisation"][k] - deltas["without_normalisation"][k]
            for k in FAMILIES
            if deltas["with_normalisation"][k] is not None
        }
        worst = min(gap, key=gap.get)
        cause = "pipeline"
        text = (
            f"{same}; the {worst} features lose {-deltas['with_normalisation'][worst]:.2f} logits on average with "
            f"normalisation against {-deltas['without_normalisation'][worst]:.2f} without; {lost}."
        )
    return {"family": family["family"], "with": with_norm, "without": without, "cause": cause, "text": text}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


@dataclass
class _Layer:
    """One view of a family's names (with or without normalisation), scored before and after."""

    originals: list[Normalized]
    perturbed: list[Normalized]
    before: np.ndarray
    after: np.ndarray
    entries_before: list[tuple[str, ...]]
    entries_after: list[tuple[str, ...]]

    def __init__(self, originals, perturbed, scorer: BatchScorer):
        self.originals, self.perturbed = originals, perturbed
        self.before, self.entries_before = _score(scorer, originals)
        self.after, self.entries_after = _score(scorer, perturbed)


def _compare_layers(model, y, layers: dict[str, _Layer], threshold) -> dict:
    """Why evasion differs with and without normalisation: the same positives (flagged by both
    layers before the perturbation) compared like for like, the positives only one layer flags,
    the keyword entries lost, and the mean change of each feature family on the positives both flag."""
    norm, raw = layers["with_normalisation"], layers["without_normalisation"]
    was_norm, was_raw = (norm.before >= threshold) & y, (raw.before >= threshold) & y
    evaded_norm, evaded_raw = was_norm & (norm.after < threshold), was_raw & (raw.after < threshold)
    both, only_norm = was_norm & was_raw, was_norm & ~was_raw
    lost = [bool(set(b) - set(a)) for b, a in zip(norm.entries_before, norm.entries_after)]
    return {
        "flagged_by_both": int(both.sum()),
        "evasion_both_with_normalisation": _share(evaded_norm & both, both),
        "evasion_both_without_normalisation": _share(evaded_raw & both, both),
        "flagged_only_with_normalisation": int(only_norm.sum()),
        "evasion_only_with_normalisation": _share(evaded_norm & only_norm, only_norm),
        "flagged_only_without_normalisation": int((was_raw & ~was_norm).sum()),
        "keyword_entry_lost": _share(np.array(lost) & was_norm, was_norm),
        "mean_delta_by_family": {
            layer: _family_deltas(model, layers[layer], both) for layer in ("with_normalisation", "without_normalisation")
        },
    }


def _share(part: np.ndarray, whole: np.ndarray) -> float | None:
    return float(part.sum() / whole.sum()) if whole.any() else None


def _family_deltas(model, layer: _Layer, rows: np.ndarray) -> dict[str, float | None]:
    """Mean change of each feature family's contribution (logit units) over ``rows``, after minus before."""
    chosen = np.flatnonzero(rows)
    if not chosen.size:
        return {family: None for family in FAMILIES}
    featuriser = model.featuriser()
    before = featuriser.transform([layer.originals[i] for i in chosen])
    after = featuriser.transform([layer.perturbed[i] for i in chosen])
    out = {}
    for family in FAMILIES:
        columns = model.space.family_slice(family)
        weights = model.family_weights(family).astype(np.int64)
        delta = after[:, columns] @ weights - before[:, columns] @ weights
        out[family] = float(np.mean(delta) / (1 << model.scale_bits))
    return out


def _unnormalised(text: str) -> Normalized:
    lowered = text.lower()
    return Normalized(text, "", lowered, lowered, lowered, 0.0, NO_OBFUSCATION)


def _perturb(text: str, row: dict, family: str, rng: random.Random, lexicon: dict[str, str]) -> str | None:
    """Positives: disguise the first marker found in the text; negatives: disguise one word."""
    if row["label"]:
        for marker_id in row["marker_ids"]:
            term = lexicon.get(marker_id)
            if term and term in text:
                disguised = obfuscation.apply(family, term, rng)
                return text.replace(term, disguised, 1) if disguised else None
        return None
    words = [w for w in text.replace(".", " ").replace("_", " ").split() if len(w) > 2]
    if not words:
        return None
    word = words[rng.randrange(len(words))]
    disguised = obfuscation.apply(family, word, rng)
    return text.replace(word, disguised, 1) if disguised else None


def _flip_rates(y, before, after, threshold, scale_bits) -> dict:
    was, now = before >= threshold, after >= threshold
    flagged_pos, unflagged_neg = was & y, ~was & ~y
    delta = (after - before) / (1 << scale_bits)
    return {
        "evasion_rate": float((flagged_pos & ~now).sum() / max(flagged_pos.sum(), 1)),
        "fp_induction_rate": float((unflagged_neg & now).sum() / max(unflagged_neg.sum(), 1)),
        "mean_delta_logit_positives": float(delta[y].mean()) if y.any() else None,
        "mean_delta_logit_negatives": float(delta[~y].mean()) if (~y).any() else None,
        "auc_before": m.roc_auc(y, before.astype(float)),
        "auc_after": m.roc_auc(y, after.astype(float)),
    }


# --------------------------------------------------------------------------- transparency and baselines


def _transparency(model, scorer, data, labels, flagged, ids, include_examples, seed) -> dict:
    mass = {}
    for family in FAMILIES:
        mass[family] = float(np.abs(model.family_weights(family).astype(np.int64)).sum())
    total = sum(mass.values()) or 1.0
    fp_rows = [i for i in range(len(labels)) if flagged[i] and not labels[i]]
    entry_hits = Counter(e for entry_ids in ids for e in entry_ids)
    entry_fp = Counter(e for i in fp_rows for e in ids[i])
    audit = [
        {
            "entry_id": e,
            "hits": entry_hits[e],
            "false_positive_hits": entry_fp[e],
            "share_of_false_positives": entry_fp[e] / max(len(fp_rows), 1),
        }
        for e in sorted(entry_hits, key=lambda e: (-entry_hits[e], e))
    ]
    cards = []
    rng = random.Random(seed)
    for kind, rows in (
        ("true positive", [i for i in range(len(labels)) if flagged[i] and labels[i]]),
        ("false positive", fp_rows),
        ("false negative", [i for i in range(len(labels)) if not flagged[i] and labels[i]]),
    ):
        for i in sorted(rng.sample(rows, min(3, len(rows)))):
            card = explain(model, data.rows[i]["text"], scorer=scorer)
            top = card["contributions"][:8]
            if not include_examples:
                card["name"] = f"(withheld; record {data.rows[i]['id']})"
                for c in top:
                    if c["family"] in ("ngram", "skel", "subword"):
                        c["feature"] = "(withheld)"
            cards.append(
                {
                    "kind": kind,
                    "name": card["name"],
                    "probability": card["probability"],
                    "keyword_entries": card["keyword_entries"],
                    "by_family": card["by_family"],
                    "exact_sum_holds": card["exact_sum"]["holds"],
                    "top_contributions": top,
                }
            )
    return {
        "weight_mass_by_family": {k: v / total for k, v in mass.items()},
        "contribution_by_outcome": _contribution_by_outcome(model, data, labels, flagged, seed),
        "keyword_entry_audit": audit,
        "false_positives": len(fp_rows),
        "explanation_cards": cards,
    }


#: Names per outcome whose contributions are summed by family (a seeded sample: featurising is slow).
CONTRIBUTION_SAMPLE = 2000


def _contribution_by_outcome(model, data: TestData, labels, flagged, seed) -> list[dict]:
    """Mean contribution (logit units) of each feature family to the names of each outcome at the
    default point: what the model leans on when it flags, and when it leaves a name alone."""
    rng = random.Random(seed)
    featuriser = model.featuriser()
    out = []
    for outcome, rows in (
        ("flagged positives", flagged & labels),
        ("flagged negatives (false positives)", flagged & ~labels),
        ("unflagged positives (missed)", ~flagged & labels),
        ("unflagged negatives", ~flagged & ~labels),
    ):
        chosen = np.flatnonzero(rows).tolist()
        chosen = sorted(rng.sample(chosen, min(len(chosen), CONTRIBUTION_SAMPLE)))
        means = {family: None for family in FAMILIES}
        if chosen:
            matrix = featuriser.transform(normalize_batch([data.rows[i]["text"] for i in chosen]))
            for family in FAMILIES:
                sums = matrix[:, model.space.family_slice(family)] @ model.family_weights(family).astype(np.int64)
                means[family] = float(np.mean(sums) / (1 << model.scale_bits))
        out.append({"outcome": outcome, "n": int(rows.sum()), "sampled": len(chosen), "mean_by_family": means})
    return out


def _baselines(scored: list[open_world.ScoredModel], data: TestData, labels) -> list[dict]:
    kinds = np.array(data.column("marker_kind"))
    rows = []
    for model in scored:
        threshold = model.operating_points[DEFAULT_POINT].threshold
        flagged = model.logits >= threshold
        recall = {
            kind: float((flagged & labels & (kinds == kind)).sum() / max((labels & (kinds == kind)).sum(), 1))
            for kind in (*open_world.MARKER_KINDS, "none")
        }
        tpr, fpr = m.tpr_fpr_at(labels, model.logits.astype(float), threshold)
        rows.append(
            {
                "model": model.name,
                "kind": model.kind,
                "path": model.path,
                "roc_auc": m.roc_auc(labels, model.logits.astype(float)),
                "average_precision": m.average_precision(labels, model.logits.astype(float)),
                "tpr_at_best_f1": tpr,
                "fpr_at_best_f1": fpr,
                "recall_by_marker_kind": recall,
            }
        )
    icop = rows[0]["recall_by_marker_kind"]["unlisted"]
    for row in rows[1:]:
        row["unlisted_recall_difference_vs_icop"] = icop - row["recall_by_marker_kind"]["unlisted"]
    return rows
