#!/usr/bin/env bash
# The reference workload, Spindle vs scikit-learn, in one run: both sides
# read the spam corpus, clean it, build the two hashing variants (counts
# and TF-IDF, 250 features), tune a logistic regression by 2-fold
# cross-validation over maxIter {10, 15, 20} and score the 30% test split.
# Alternates N runs of each (whole processes), prints wall time, peak RSS,
# test accuracies and the median speed-up; then times the full spec once
# (with the Word2Vec(250) variant scikit-learn lacks) and prints Word2Vec's
# own time.
#
#   bench/workload/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
"$ROOT/scripts/example-data.sh"
go build -o "$out/spindle" ./cmd/spindle
stop=$ROOT/feature/stopwords/english.txt
: > "$out/workload-ratios.txt"
acc() { /usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(' '.join(f\"{v['name']}={v['models'][0]['test']['accuracy']:.4f}(maxIter {v['models'][0]['tuning']['best']['maxIter']})\" for v in m['variants']))" "$1"; }
for i in $(seq "$runs"); do
  /usr/bin/time -f '%e %M' -o "$out/w1" "$out/spindle" -q run bench/workload/hashing.yaml --out "$out/workload" \
    --set input.uri="$EXAMPLE_CSV" > /dev/null
  /usr/bin/time -f '%e %M' -o "$out/w2" /usr/bin/python3 bench/workload/sklearn_workload.py "$EXAMPLE_CSV" "$stop" > "$out/w2.json"
  read -r t1 m1 < "$out/w1"
  read -r t2 m2 < "$out/w2"
  echo "run $i spindle: ${t1}s peak ${m1}KB  $(acc "$out/workload/metrics.json")"
  echo "run $i sklearn: ${t2}s peak ${m2}KB  $(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(' '.join(f\"{k}={v['accuracy']:.4f}(maxIter {v['maxIter']})\" for k,v in m['variants'].items()))" "$out/w2.json")"
  echo "$t1 $t2" >> "$out/workload-ratios.txt"
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median speed-up (sklearn wall / spindle wall): $(awk '{print $2/$1}' "$out/workload-ratios.txt" | median)"
/usr/bin/time -f '%e %M' -o "$out/w3" "$out/spindle" -q run examples/spam/pipeline.yaml --out "$out/workload-full" \
  --set input.uri="$EXAMPLE_CSV" > /dev/null
read -r t3 m3 < "$out/w3"
w2v=$(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); v=[v for v in m['variants'] if v['name']=='word2vec'][0]; print(v['featurizeSeconds'], v['models'][0]['test']['accuracy'])" "$out/workload-full/metrics.json")
echo "full spec with Word2Vec(250): ${t3}s peak ${m3}KB; Word2Vec variant featurize_s and accuracy: $w2v"
