#!/usr/bin/env bash
# Fashion-MNIST PCA (60,000 × 784, pixels / 255, k = 50): Spindle's PCA
# on the embedded engine vs scikit-learn's PCA (default solver and full
# SVD), alternately, RUNS times; the explained variance ratios are checked
# against numpy's SVD of the centred images (target: within 1e-9).
#
#   bench/fmnist/pca.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/fmnist" ./bench/fmnist
: > "$out/pca-ratios.txt"
for i in $(seq "$runs"); do
  "$out/fmnist" -model pca -k 50 -ratios "$out/pca-explained.txt" > "$out/p1"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/fmnist/sklearn_pca.py 50 "$out/pca-explained.txt" > "$out/p2"
  echo "run $i spindle: $(cat "$out/p1")"
  echo "run $i reference: $(cat "$out/p2")"
  echo "$(field fit_s "$out/p1") $(field auto_s "$out/p2") $(field full_s "$out/p2")" >> "$out/pca-ratios.txt"
done
echo "median fit time ratio spindle/sklearn (default solver): $(awk '{print $1/$2}' "$out/pca-ratios.txt" | median)"
echo "median fit time ratio spindle/sklearn (full SVD): $(awk '{print $1/$3}' "$out/pca-ratios.txt" | median)"
