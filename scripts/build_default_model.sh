#!/usr/bin/env bash
# Build the default model bundle (models/default) from the default synthetic corpus.
# Deterministic: the same icop version gives the same weights (tests/test_default_model.py).
#   usage: scripts/build_default_model.sh [ICOP] [N] [OUT]
set -euo pipefail
ICOP=${1:-icop}
N=${2:-200000}
OUT=${3:-models/default}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true

"$ICOP" synth --n "$N" --seed 0 --out "$WORK/corpus" --quiet
rm -rf "$OUT"
"$ICOP" train --data "$WORK/corpus/corpus.parquet" --out "$OUT" --seed 0 --no-track
du -sh "$OUT"
