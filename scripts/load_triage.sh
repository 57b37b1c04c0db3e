#!/usr/bin/env bash
# Load test (issue 8): N names (default 10M) through `icop triage`, recording names/s and peak RSS.
# The names are the default synthetic corpus (1M), repeated with a counter so that every line differs.
#   usage: scripts/load_triage.sh [ICOP] [MILLIONS] [WORKDIR]
set -euo pipefail
ICOP=${1:-icop}
MILLIONS=${2:-10}
WORK=${3:-$(mktemp -d)}
PY=$(dirname "$(command -v "$ICOP")")/python
"$ICOP" synth --n 1000000 --seed 11 --out "$WORK/corpus" --quiet
"$PY" - "$WORK" "$MILLIONS" <<'PYEOF'
import sys
import pyarrow.parquet as pq
work, millions = sys.argv[1], int(sys.argv[2])
names = pq.read_table(f"{work}/corpus/corpus.parquet", columns=["text"]).column("text").to_pylist()
with open(f"{work}/names.txt", "w", encoding="utf-8") as out:
    for copy in range(millions):
        out.write("\n".join(f"{n}_{copy}" for n in names) + "\n")
PYEOF
/usr/bin/time -v "$ICOP" triage "$WORK/names.txt" -o "$WORK/out.csv" --quiet 2> "$WORK/time.txt"
grep -E "Maximum resident|Elapsed" "$WORK/time.txt"
"$PY" -c "import json,sys; a=json.load(open(sys.argv[1])); print('names', a['counts']['names'], 'names/s', a['names_per_second'])" "$WORK/out.csv.audit.json"
