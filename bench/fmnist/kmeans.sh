#!/usr/bin/env bash
# Fashion-MNIST k-means (60,000 × 784, pixels / 255, k = 10, 20 Lloyd
# iterations): Spindle's KMeans (k-means||) on the embedded engine vs
# scikit-learn's KMeans (k-means++, n_init 1, Lloyd), alternately, with
# seeds 0 … RUNS-1. Prints each run's fit time and within-cluster sum of
# squares, then the medians of the time ratio (target ≤ 0.5) and of the
# WCSS ratio (target within 1%).
#
#   bench/fmnist/kmeans.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/fmnist" ./bench/fmnist
: > "$out/kmeans-ratios.txt"
for i in $(seq 0 $((runs - 1))); do
  "$out/fmnist" -model kmeans -iter 20 -seed "$i" > "$out/k1"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/fmnist/sklearn_kmeans.py 20 "$i" > "$out/k2"
  echo "seed $i spindle: $(cat "$out/k1")"
  echo "seed $i sklearn: $(cat "$out/k2")"
  echo "$(field fit_s "$out/k1") $(field fit_s "$out/k2") $(field wcss "$out/k1") $(field wcss "$out/k2")" >> "$out/kmeans-ratios.txt"
done
echo "median fit time ratio spindle/sklearn: $(awk '{print $1/$2}' "$out/kmeans-ratios.txt" | median)"
echo "median WCSS ratio spindle/sklearn: $(awk '{print $3/$4}' "$out/kmeans-ratios.txt" | median)"
