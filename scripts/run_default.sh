#!/usr/bin/env bash
# The main job on the built-in defaults (`make run`): generate the default synthetic corpus,
# verify the default model bundle, triage the corpus into a ranked review queue with an audit
# record, and explain the top names. Everything is offline and SURROGATE-only.
set -euo pipefail
ICOP=${1:-icop}
OUT=${2:-out}
PY=${3:-python3}
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true

rm -rf "$OUT/baselines"
"$ICOP" synth --n 100000 --seed 0 --out "$OUT/corpus" --quiet
echo "corpus:        $OUT/corpus/corpus.parquet (datasheet: $OUT/corpus/DATASHEET.md)"
"$ICOP" verify models/default
"$ICOP" triage "$OUT/corpus/corpus.parquet" --id-column id --group-by lang --explain 10 \
    --model models/default -o "$OUT/triage.csv" --quiet
echo "review queue:  $OUT/triage.csv (ranked; audit record $OUT/triage.csv.audit.json)"
echo "groups:        $OUT/triage.groups.csv; explanations: $OUT/triage.csv.explanations.jsonl"
"$ICOP" triage "$OUT/corpus/corpus.parquet" --top-k 20 --model models/default -o "$OUT/top20.csv" --quiet
echo "top 20:        $OUT/top20.csv"

# The auditor report for the default model on the corpus' test split, beside two baselines.
"$ICOP" train --data "$OUT/corpus/corpus.parquet" --out "$OUT/baselines/keywords" --baseline keywords --no-track --quiet
"$ICOP" train --data "$OUT/corpus/corpus.parquet" --out "$OUT/baselines/tfidf" --baseline tfidf --no-track --quiet
"$ICOP" evaluate --model models/default --data "$OUT/corpus/corpus.parquet" \
    --baseline "$OUT/baselines/keywords" --baseline "$OUT/baselines/tfidf" --out "$OUT/report" --quiet
echo "report:        $OUT/report/report.html (JSON: $OUT/report/report.json)"
echo
"$PY" scripts/print_headlines.py "$OUT" models/default
