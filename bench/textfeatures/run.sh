#!/usr/bin/env bash
# Text-featurization benchmark: tokenize (lowercase, split on \W+), remove
# English stop words, HashingTF(2^18), IDF over the example corpus, in
# Spindle and in scikit-learn (HashingVectorizer + TfidfTransformer, same
# cleanup and stop words), alternately, N runs each. Prints each run's
# feature time (excluding CSV reading), whole-process time and peak RSS,
# and the median ratios. Needs Debian's python3-sklearn and python3-pandas.
#
#   bench/textfeatures/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-5}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
"$ROOT/scripts/example-data.sh"
go build -o "$out/textfeatures" ./bench/textfeatures
py=/usr/bin/python3
stop=$ROOT/feature/stopwords/english.txt
: > "$out/text-ratios.txt"
printf '%-4s %-8s %11s %9s %8s\n' run tool features_s wall_s peak_MB
for i in $(seq "$runs"); do
  /usr/bin/time -f '%e' -o "$out/t1" "$out/textfeatures" "$EXAMPLE_CSV" > "$out/o1"
  /usr/bin/time -f '%e' -o "$out/t2" $py bench/textfeatures/sklearn_features.py "$EXAMPLE_CSV" "$stop" > "$out/o2"
  printf '%-4s %-8s %11s %9s %8s\n' "$i" spindle "$(field features_s "$out/o1")" "$(cat "$out/t1")" "$(field peak_rss_MB "$out/o1")"
  printf '%-4s %-8s %11s %9s %8s\n' "$i" sklearn "$(field features_s "$out/o2")" "$(cat "$out/t2")" "$(field peak_rss_MB "$out/o2")"
  echo "$(field features_s "$out/o2") $(field features_s "$out/o1") $(cat "$out/t2") $(cat "$out/t1")" >> "$out/text-ratios.txt"
done
echo "median speedup, features only:  $(awk '{print $1/$2}' "$out/text-ratios.txt" | median)"
echo "median speedup, whole process:  $(awk '{print $3/$4}' "$out/text-ratios.txt" | median)"
