#!/usr/bin/env bash
# The main job on the built-in defaults (`make run`): generate the default synthetic corpus,
# then scan its test split with the shipped SURROGATE keyword lists. Later stages (train,
# triage, evaluate) join here as they land.
set -euo pipefail
ICOP=${1:-icop}
OUT=${2:-out}
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true

"$ICOP" synth --n 100000 --seed 0 --out "$OUT/corpus" --quiet
echo "corpus:   $OUT/corpus/corpus.parquet (datasheet: $OUT/corpus/DATASHEET.md)"
"$ICOP" keywords validate
"$ICOP" verify models/default
"$ICOP" keywords scan "$OUT/corpus/corpus.parquet" --quiet > "$OUT/keyword_hits.tsv"
echo "keyword hits by entry id: $OUT/keyword_hits.tsv ($(($(wc -l < "$OUT/keyword_hits.tsv") - 1)) hits)"
