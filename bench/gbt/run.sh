#!/usr/bin/env bash
# Trees on 1,000,000 × 28 synthetic binary rows (bench/logreg's generator,
# seed 42; the first 70% train, the rest test), side by side, N runs each:
#   - GBTClassifier with XGBoost's settings (100 rounds, depth 6, 256 bins,
#     Newton leaves, step 0.3) vs XGBoost hist with the same, 2 threads
#     (target: AUC ≥ XGBoost's − 0.001, time ≤ 1.0×);
#   - GBTClassifier with Spark's defaults (20 rounds, depth 5, 32 bins,
#     step 0.1, first-order trees), Spindle alone;
#   - RandomForestClassifier, 100 trees, depth 10, vs scikit-learn's, same;
#   - the heap the binned training rows take, per feature value.
# Prints fit times, test AUCs and median time ratios.
#
#   bench/gbt/run.sh [RUNS]      (RF_RUNS=N: the forest's runs, default RUNS)
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/logreg" ./bench/logreg
go build -o "$out/gbt" ./bench/gbt
[ -f "$out/logreg.bin" ] || "$out/logreg" gen -o "$out/logreg.bin"
: > "$out/gbt-ratios.txt"
: > "$out/rf-ratios.txt"
for i in $(seq "$runs"); do
  "$out/gbt" -i "$out/logreg.bin" > "$out/b1"
  /usr/bin/python3 bench/gbt/xgb.py "$out/logreg.bin" xgb 100 6 256 0.3 > "$out/b2"
  echo "run $i spindle GBT (XGBoost's settings): $(cat "$out/b1")"
  echo "run $i xgboost hist:                   $(cat "$out/b2")"
  echo "$(field fit_s "$out/b1") $(field fit_s "$out/b2")" >> "$out/gbt-ratios.txt"
done
echo "binned dataset's memory: $("$out/gbt" -i "$out/logreg.bin" -memcheck)"
echo "spindle GBT, Spark's defaults: $("$out/gbt" -i "$out/logreg.bin" -rounds 20 -depth 5 -bins 32 -step 0.1 -newton=false)"
for i in $(seq "${RF_RUNS:-$runs}"); do
  "$out/gbt" -i "$out/logreg.bin" -algo rf -rounds 100 -depth 10 -bins 32 > "$out/b1"
  /usr/bin/python3 bench/gbt/xgb.py "$out/logreg.bin" rf 100 10 > "$out/b2"
  echo "run $i spindle RF: $(cat "$out/b1")"
  echo "run $i sklearn RF: $(cat "$out/b2")"
  echo "$(field fit_s "$out/b1") $(field fit_s "$out/b2")" >> "$out/rf-ratios.txt"
done
echo "median GBT fit time ratio spindle/xgboost: $(awk '{print $1/$2}' "$out/gbt-ratios.txt" | median)"
echo "median RF fit time ratio spindle/sklearn: $(awk '{print $1/$2}' "$out/rf-ratios.txt" | median)"
