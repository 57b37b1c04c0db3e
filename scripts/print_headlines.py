"""The headline numbers of `make run`, read from what the run wrote: the triage audit record,
the evaluation report and the model bundle's manifest.

    usage: python scripts/print_headlines.py OUT [MODEL]
"""

import json
import sys
from pathlib import Path

from icop.evaluation.headlines import open_world_fpr


def main(out: Path, model: Path) -> None:
    audit = json.loads((out / "triage.csv.audit.json").read_text(encoding="utf-8"))
    report = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    counts = audit["counts"]
    world = open_world_fpr(report)
    low, high = world["ci"]
    print(f"names scored:  {counts['names']:,} ({audit['names_per_second']:,} names/s end to end)")
    print(f"flagged:       {counts['flagged']:,} at {audit['options']['threshold']}")
    print(f"validation:    ROC-AUC {manifest['metrics']['validation_roc_auc']:.3f} (synthetic validation split)")
    print(
        f"open world:    FPR {world['rate']:.4%} [{low:.4%}, {high:.4%}] on {world['n']:,} real benign names "
        f"unseen in training, at {world['point']}"
    )
    print(f"open this:     {out / 'report' / 'report.html'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "models/default"))
