"""MODEL_CARD.md for a bundle (Mitchell et al., "Model Cards for Model Reporting")."""

from __future__ import annotations


def render_card(model, manifest: dict) -> str:
    metrics = manifest["metrics"]
    data = manifest["training_data"]
    lists = manifest["keywords"]
    points = "\n".join(
        f"| `{op.name}` | {op.threshold} | {op.probability:.4f} | {op.tpr:.4f} | {op.fpr:.5f} | {op.precision:.4f} | {op.rule} |"
        for op in model.operating_points.values()
    )
    splits = "\n".join(f"| {s} | {c['rows']} | {c['positives']} |" for s, c in data["splits"].items())
    list_kind = "SURROGATE (synthetic pseudo-words)" if lists["surrogate"] else "partner-supplied"
    return f"""# Model card: {manifest["model_name"]}

## Model details
- Kind: `{model.kind}`{" (baseline)" if manifest.get("baseline") else ""}; icop {manifest.get("icop_version", "")}, seed {manifest["seed"]}.
- A linear model over hashed character n-grams (1-5, `norm` and `skel` views), sentencepiece
  subwords, keyword-entry hits and obfuscation counts, with integer (fixed-point) weights; every
  score decomposes exactly into per-feature contributions (`icop explain`). Calibrated with
  {model.calibration.method} scaling on the validation split.
- Training data: `{data["path"]}` (sha256 `{data["sha256"]}`).
- Keyword lists: {lists["entries"]} entries, {"hashed" if lists["hashed"] else "plain"}, {list_kind}
  (sha256 `{lists["sha256"]}`).
- Code: git commit `{manifest.get("git_commit") or "unknown"}`.

## Intended use
Ordering a human review queue of peer-to-peer filenames in offline research and triage. A score
is a reason to look, never a verdict: every flagged file is reviewed by a person, and a filename
alone says nothing certain about content.

## Out-of-scope uses
Automated decisions about people; evidence of guilt; real-world prevalence estimates; any use
on real data without validation on that data. A model trained on synthetic data has an unknown
gap to real naming.

## Factors
Language and script, naming category (scene releases, events, device defaults...), obfuscation
(leetspeak, homoglyphs, zero-width characters, separators...), benign identity words (gender,
nationality, names, ages), listed versus unlisted markers, and time period. The evaluation
report (`icop evaluate`) breaks every metric down by these factors.

## Metrics and decision thresholds (validation split)
ROC-AUC {metrics["validation_roc_auc"]}, average precision {metrics["validation_average_precision"]},
Brier score {metrics["validation_brier"]} on {metrics["validation_rows"]} names
({metrics["validation_positives"]} positive).

| operating point | integer threshold | probability | TPR | FPR | precision | rule |
|---|---|---|---|---|---|---|
{points}

Thresholds are frozen on the validation split and never tuned on test data. Precision depends on
prevalence: the synthetic prevalence is arbitrary (see the evaluation report for precision at
realistic prevalences).

## Training and evaluation data
| split | rows | positives |
|---|---|---|
{splits}

## Ethical considerations
Positives in icop's shipped data are defined only by surrogate markers; no real abuse vocabulary
or content was used. Benign identity words appear in both classes at equal rates so that bias can
be measured. Reports cite keyword entries by id, never by term. Partner lists stay with partners.

## Caveats and recommendations
The subword model inside the bundle holds frequent substrings of the training names; treat a
bundle trained on real data as carrying fragments of that data. Validate on the deploying
partner's own labelled data before use. Review the bias and robustness
sections of the evaluation report, and re-evaluate when the keyword lists or naming habits change.
"""
