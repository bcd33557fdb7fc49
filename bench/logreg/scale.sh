#!/usr/bin/env bash
# Cost growth through the Beam path: bench/logreg/scale.yaml (logistic
# regression, 28 features, 10 iterations) on 10^5, 10^6 and 10^7 rows
# (CSV of ~29 bytes × 10^{2..4} per row; 10^7 rows ≈ 2.9 GB), each with
# --runner prism (staging on local disk) and with --runner local, as whole
# processes. Prints wall time, the run's own timings and peak RSS.
#
#   bench/logreg/scale.sh [ROWS…]        (default: 100000 1000000 10000000)
source "$(dirname "$0")/../../scripts/lib.sh"
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
go build -o "$out/logreg" ./bench/logreg
go build -o "$out/spindle" ./cmd/spindle
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000 10000000)
printf '%-9s %-6s %8s %8s %8s %10s %s\n' rows runner wall_s read_s fit_s peak_MiB test_auc
for n in "${sizes[@]}"; do
  csv=$out/logreg-$n.csv
  [ -f "$csv" ] || "$out/logreg" csv -rows "$n" -o "$csv"
  for runner in prism local; do
    stage=$out/scale-stage-$n
    rm -rf "$stage" "$out/scale-$runner-$n"
    args=(run bench/logreg/scale.yaml --set "input.uri=$csv" --out "$out/scale-$runner-$n" --runner "$runner")
    [ "$runner" = local ] || args+=(--staging "$stage")
    /usr/bin/time -f '%e %M' -o "$out/scale.time" "$out/spindle" "${args[@]}" > "$out/scale.txt" 2> "$out/scale.log"
    read -r wall maxkb < "$out/scale.time"
    python3 - "$out/scale-$runner-$n/metrics.json" "$n" "$runner" "$wall" "$maxkb" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
m = rep["variants"][0]["models"][0]
read_s = rep["input"]["readSeconds"]
print(f"{sys.argv[2]:<9} {sys.argv[3]:<6} {float(sys.argv[4]):8.1f} {read_s:8.1f} {m['fitSeconds']:8.1f} {int(sys.argv[5])//1024:10d} {m['test']['areaUnderROC']:.9f}")
PY
    rm -rf "$stage"
  done
done
