#!/usr/bin/env bash
# KMeans on Fashion-MNIST through the user's path: 'spindle run' of
# bench/fmnist/kmeans.yaml on a CSV of the 60,000 training images (784
# pixel columns, 133 MB; read, assembled, split 70/30, fitted with k 10
# and 20 iterations, scored by silhouette) against a pandas + scikit-learn
# script doing the read and the fit on the same 70% (sklearn_kmeans_csv.py),
# alternately, RUNS times each; whole-process wall times and their ratio.
#
#   bench/fmnist/kmeans-run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/spindle" ./cmd/spindle
[ -s /tmp/fmnist-train.csv ] || /usr/bin/python3 bench/fmnist/csv_data.py /tmp/fmnist-train.csv
: > "$out/kmeans-run.txt"
for i in $(seq "$runs"); do
  /usr/bin/time -f %e -o "$out/t1" "$out/spindle" run bench/fmnist/kmeans.yaml > "$out/r1" 2>/dev/null
  /usr/bin/time -f %e -o "$out/t2" /usr/bin/python3 bench/fmnist/sklearn_kmeans_csv.py /tmp/fmnist-train.csv > "$out/r2"
  a=$(cat "$out/t1") b=$(cat "$out/t2")
  echo "run $i spindle run: ${a} s; $(grep '^default' "$out/r1")"
  echo "run $i pandas + scikit-learn: ${b} s; $(cat "$out/r2")"
  echo "$a $b" >> "$out/kmeans-run.txt"
done
echo "median whole-process wall ratio spindle/scikit-learn: $(awk '{print $1/$2}' "$out/kmeans-run.txt" | median)"
