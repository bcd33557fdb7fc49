#!/usr/bin/env bash
# LDA (k = 10) on the example corpus: Spindle's online LDA through
# 'spindle run' (lda.yaml) beside scikit-learn's online
# LatentDirichletAllocation (sklearn_lda.py) with matching settings —
# learning offset 1024, decay 0.51, α = η = 1/k and not learned,
# mini-batches of 5% of the documents, 5 passes' worth of documents —
# on the same document-term counts: the e-mails tokenized as
# examples/topics does and counted by CountVectorizer (5,000 terms, min
# document frequency 5), written once as LibSVM by a data-preparation
# run (prepare.yaml) that both sides read.
#
# Alternately, RUNS times (seeds 0 … RUNS-1): Spindle's fit seconds (from
# metrics.json) and whole-process wall seconds, scikit-learn's fit seconds
# (around fit()) and whole-process wall seconds, and both log perplexities
# −bound/tokens on the documents they were fitted on; scikit-learn's
# score() also rates Spindle's saved topics, so the two perplexities are
# compared by one formula too. Then the medians of the fit-time ratio
# (target ≤ 0.5) and of the log-perplexity ratio (target within 2%).
#
#   bench/lda/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
[ -s "$EXAMPLE_CSV" ] || { echo "no $EXAMPLE_CSV: run scripts/quickstart.sh first" >&2; exit 1; }
go build -o "$out/spindle" ./cmd/spindle
counts=$out/lda-prep/processed/default.libsvm
[ -s "$counts" ] || "$out/spindle" -q run bench/lda/prepare.yaml > /dev/null
: > "$out/lda-ratios.txt"
for i in $(seq 0 $((runs - 1))); do
  /usr/bin/time -f %e -o "$out/lda-t1" "$out/spindle" -q run bench/lda/lda.yaml --set "models.0.params.seed=$i" > /dev/null
  "$out/spindle" inspect --json "$out/lda-run/models/default" > "$out/lda-inspect.json"
  s_fit=$(/usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); r=m["variants"][0]["models"][0]; print(r["fitSeconds"], r["test"]["logPerplexity"])' "$out/lda-run/metrics.json")
  /usr/bin/time -f %e -o "$out/lda-t2" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/lda/sklearn_lda.py "$counts" "$i" "$out/lda-inspect.json" > "$out/lda-r2"
  read -r sf sp <<< "$s_fit"
  kf=$(field fit_s "$out/lda-r2") kp=$(field sklearn_logperp "$out/lda-r2") xp=$(field spindle_topics_logperp "$out/lda-r2")
  echo "seed $i spindle:      fit ${sf} s (process $(cat "$out/lda-t1") s), logPerplexity ${sp} (by scikit-learn's score: ${xp})"
  echo "seed $i scikit-learn: fit ${kf} s (process $(cat "$out/lda-t2") s), logPerplexity ${kp} ($(cat "$out/lda-r2"))"
  echo "$sf $kf $sp $kp" >> "$out/lda-ratios.txt"
done
echo "median fit time ratio spindle/scikit-learn: $(awk '{print $1/$2}' "$out/lda-ratios.txt" | median)"
echo "median log perplexity ratio spindle/scikit-learn: $(awk '{print $3/$4}' "$out/lda-ratios.txt" | median)"
