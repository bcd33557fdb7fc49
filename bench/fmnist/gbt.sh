#!/usr/bin/env bash
# Fashion-MNIST multiclass boosting (60,000 × 784, 10 classes): Spindle's
# GBTClassifier (softmax, Newton leaves, one tree per class per round) on
# the embedded engine vs XGBoost's multi:softprob (hist), same rounds,
# depth, step and 256 bins, 2 threads, one after the other. Prints both
# fit times and test accuracies and the time ratio (Spindle / XGBoost;
# target ≤ 1.0, accuracy ≥ 0.89). The training rows are one partition:
# the column kernel shares a wide partition's features among the cores,
# which spares the per-partition partials (7% faster than two partitions
# of 30,000 by farm-bench, 10 rounds).
#
#   bench/fmnist/gbt.sh [ROUNDS] [DEPTH] [ETA]
source "$(dirname "$0")/../../scripts/lib.sh"
rounds=${1:-100} depth=${2:-6} eta=${3:-0.3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/fmnist" ./bench/fmnist
"$out/fmnist" -model gbt -rounds "$rounds" -depth "$depth" -step "$eta" -partition 60000 > "$out/g1"
/usr/bin/python3 bench/fmnist/xgb_fmnist.py "$rounds" "$depth" "$eta" > "$out/g2"
echo "spindle: $(cat "$out/g1")"
echo "xgboost: $(cat "$out/g2")"
echo "fit time ratio spindle/xgboost: $(awk -v a="$(field fit_s "$out/g1")" -v b="$(field fit_s "$out/g2")" 'BEGIN{print a/b}')"
