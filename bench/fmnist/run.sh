#!/usr/bin/env bash
# Fashion-MNIST multinomial logistic regression (60,000 × 784, 10
# classes, 100 iterations, C = 1): Spindle's LogisticRegression on the
# embedded engine vs scikit-learn's lbfgs, alternately, N runs each.
# Prints each run's fit time and test accuracy, the BLAS numpy used, and
# the median fit time ratio (Spindle / scikit-learn; target ≤ 0.5).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for scikit-learn alone
# (set, they pin OpenBLAS to slower kernels).
#
#   bench/fmnist/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/fmnist" ./bench/fmnist
: > "$out/fmnist-ratios.txt"
for i in $(seq "$runs"); do
  "$out/fmnist" > "$out/f1"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/fmnist/sklearn_fmnist.py 1.0 > "$out/f2"
  echo "run $i spindle: $(cat "$out/f1")"
  echo "run $i sklearn: $(cat "$out/f2")"
  echo "$(field fit_s "$out/f1") $(field fit_s "$out/f2")" >> "$out/fmnist-ratios.txt"
done
echo "median fit time ratio spindle/sklearn: $(awk '{print $1/$2}' "$out/fmnist-ratios.txt" | median)"
