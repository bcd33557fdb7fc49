#!/usr/bin/env bash
# Logistic regression on a 1,000,000 × 28 dataset (seed 42, 80/20 split):
# Spindle's LogisticRegression (L-BFGS through the engine, all cores) vs
# scikit-learn's lbfgs on the same rows and the same objective (L2 with
# C = 1, no standardization), alternately, N runs each. Prints fit times,
# Spindle's split between gradient passes and optimizer, test AUCs and the
# median time ratio (Spindle / scikit-learn; target ≤ 0.5).
#
#   bench/logreg/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/logreg" ./bench/logreg
[ -f "$out/logreg.bin" ] || "$out/logreg" gen -o "$out/logreg.bin"
: > "$out/logreg-ratios.txt"
for i in $(seq "$runs"); do
  "$out/logreg" fit -i "$out/logreg.bin" > "$out/l1"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/logreg/sklearn_logreg.py "$out/logreg.bin" 1.0 > "$out/l2"
  echo "run $i spindle: $(cat "$out/l1")"
  echo "run $i sklearn: $(cat "$out/l2")"
  echo "$(field fit_s "$out/l1") $(field fit_s "$out/l2")" >> "$out/logreg-ratios.txt"
done
echo "median fit time ratio spindle/sklearn: $(awk '{print $1/$2}' "$out/logreg-ratios.txt" | median)"
