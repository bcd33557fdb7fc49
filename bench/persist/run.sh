#!/usr/bin/env bash
# Saved-model size and save/load time of the reference run's three models
# (tf, tfidf, word2vec) and of a 100-tree GBTClassifier (Spark's defaults
# but maxIter 100, on 20,000 × 28 synthetic rows), N runs each:
#
#   bench/persist/run.sh [N]        (SPINDLE=path: the spindle binary to train with)
source "$(dirname "$0")/../../scripts/lib.sh"
n=${1:-7}
out=$ROOT/bench/out/persist
mkdir -p "$out"
cd "$ROOT"
spindle=${SPINDLE:-$out/spindle}
[ -n "${SPINDLE:-}" ] || go build -o "$spindle" ./cmd/spindle
go build -o "$out/persist" ./bench/persist
"$ROOT/scripts/example-data.sh"
if [ ! -s "$out/gbt.csv" ]; then
  awk 'BEGIN { srand(7); printf "f01"; for (j = 2; j <= 28; j++) printf ",f%02d", j; print ",label"
    for (i = 0; i < 20000; i++) { s = 0; for (j = 1; j <= 28; j++) { x[j] = rand() * 2 - 1; s += x[j] * (j % 5 - 2) }
      for (j = 1; j <= 28; j++) printf "%s%.6f", (j > 1 ? "," : ""), x[j]; print "," (s + rand() - 0.5 > 0 ? 1 : 0) } }' > "$out/gbt.csv"
fi
"$spindle" run examples/spam/pipeline.yaml --out "$out/spam" >/dev/null
"$spindle" run bench/persist/gbt.yaml --out "$out/gbt" >/dev/null
"$out/persist" -n "$n" "$out/spam/models/tf" "$out/spam/models/tfidf" "$out/spam/models/word2vec" "$out/gbt/models/default"
