#!/usr/bin/env bash
# Word2Vec on the example corpus with the reference spec's parameters
# (vectorSize 250, minCount 5, skip-gram, hierarchical softmax, window 5,
# 1 iteration): Spindle on the embedded engine vs gensim (Debian's
# python3-gensim, 2 workers, no downsampling), alternately, N runs each.
# Prints each run's fit time, vocabulary and nearest neighbours, and the
# median fit time ratio (Spindle / gensim; target ≤ 1).
#
#   bench/word2vec/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
"$ROOT/scripts/example-data.sh"
go build -o "$out/word2vec" ./bench/word2vec
: > "$out/w2v-ratios.txt"
for i in $(seq "$runs"); do
  "$out/word2vec" "$EXAMPLE_CSV" > "$out/w1"
  /usr/bin/python3 bench/word2vec/gensim_word2vec.py "$EXAMPLE_CSV" feature/stopwords/english.txt > "$out/w2"
  echo "run $i spindle: $(cat "$out/w1")"
  echo "run $i gensim:  $(cat "$out/w2")"
  echo "$(field fit_s "$out/w1") $(field fit_s "$out/w2")" >> "$out/w2v-ratios.txt"
done
echo "median fit time ratio spindle/gensim: $(awk '{print $1/$2}' "$out/w2v-ratios.txt" | median)"
