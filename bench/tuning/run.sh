#!/usr/bin/env bash
# The tuning-heavy job (issue 14's figure), side by side in one run:
# Spindle (this checkout), optionally Spindle built at another commit
# (BASE=<commit>, e.g. the last one that fitted one model at a time), and
# scikit-learn's GridSearchCV on the same grid (bench/tuning/
# sklearn_tuning.py). Each runs RUNS times in turn; prints wall time, peak
# RSS, the chosen parameters and the test accuracy of every run.
#
#   bench/tuning/run.sh [RUNS]          (BASE=706843f bench/tuning/run.sh 3)
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-3}
out=$ROOT/bench/out/tuning
mkdir -p "$out"
cd "$ROOT"
"$ROOT/scripts/example-data.sh"
go build -o "$out/spindle" ./cmd/spindle
cmds=("$out/spindle")
if [ -n "${BASE:-}" ]; then
  rm -rf "$out/base" && git worktree add -f -q --detach "$out/base" "$BASE"
  (cd "$out/base" && go build -o "$out/spindle-base" ./cmd/spindle)
  git worktree remove --force "$out/base"
  cmds+=("$out/spindle-base")
fi
stop=$ROOT/feature/stopwords/english.txt
result() { /usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); md=m['variants'][0]['models'][0]; print('best', md['tuning']['best'], 'accuracy %.4f' % md['test']['accuracy'], 'passes', sum(m.get('passes', {}).values()) or 'not counted')" "$1"; }
for i in $(seq "$runs"); do
  for c in "${cmds[@]}"; do
    /usr/bin/time -f '%e %M' -o "$out/t" "$c" -q run bench/tuning/tuning.yaml --out "$out/run" --set input.uri="$EXAMPLE_CSV" > /dev/null
    read -r t m < "$out/t"
    echo "run $i $(basename "$c"): ${t}s peak ${m}KB  $(result "$out/run/metrics.json")"
  done
  /usr/bin/time -f '%e %M' -o "$out/t" /usr/bin/python3 bench/tuning/sklearn_tuning.py "$EXAMPLE_CSV" "$stop" > "$out/sk.json" 2>/dev/null
  read -r t m < "$out/t"
  echo "run $i scikit-learn GridSearchCV: ${t}s peak ${m}KB  $(cat "$out/sk.json")"
done
