#!/usr/bin/env bash
# The driver holds no data: bench/logreg/scale.yaml (logistic regression,
# 28 features) on the CSV 'logreg csv -rows N' writes (10^7 rows ≈ 2.9 GB),
# on the embedded engine and through a standalone prism job server whose
# workers are processes of their own (EXTERNAL worker pool). Prints, per
# run, the wall time, the run's phases (read, fit, score) and the peak RSS
# of the spindle process alone — on the job server, the driver — and
# checks that both runs fitted the same coefficients and test metrics.
#
#   bench/logreg/driver.sh [ROWS]        (default 10000000)
source "$(dirname "$0")/../../scripts/lib.sh"
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
n=${1:-10000000}
go build -o "$out/logreg" ./bench/logreg
go build -o "$out/spindle" ./cmd/spindle
csv=$out/logreg-$n.csv
[ -f "$csv" ] || "$out/logreg" csv -rows "$n" -o "$csv"

make_work spindle-driver
start_job_server "$work"

printf '%-9s %-8s %8s %8s %8s %8s %10s\n' rows engine wall_s read_s fit_s score_s driver_MiB
for runner in local external; do
  args=(run bench/logreg/scale.yaml --set "input.uri=$csv" --out "$work/$runner" -q)
  if [ "$runner" = external ]; then
    args+=(--runner prism --endpoint "localhost:$JOB_PORT" --environment-type EXTERNAL
      --environment-config localhost:50000 --staging "$work/stage")
  else
    args+=(--runner local)
  fi
  /usr/bin/time -f '%e %M' -o "$work/time" "$out/spindle" "${args[@]}" > "$work/$runner.txt" 2>&1 ||
    { cat "$work/$runner.txt" >&2; tail -n 40 "$work/prism.log" "$work/pool.log" >&2; exit 1; }
  read -r wall maxkb < "$work/time"
  python3 - "$work/$runner/metrics.json" "$n" "$runner" "$wall" "$maxkb" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
m = rep["variants"][0]["models"][0]
print(f"{sys.argv[2]:<9} {sys.argv[3]:<8} {float(sys.argv[4]):8.1f} {rep['input']['readSeconds']:8.1f} "
      f"{m['fitSeconds']:8.1f} {m['scoreSeconds']:8.1f} {int(sys.argv[5])//1024:10d}")
PY
done
# Same coefficients (every stage's parameters and learned values, as
# 'spindle inspect --json' shows them in full) and test metrics, to the bit.
for runner in local external; do
  "$out/spindle" inspect --json "$work/$runner/models/default" > "$work/$runner.inspect.json"
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
s = [json.load(open(f"{work}/{r}.inspect.json"))["stages"] for r in ("local", "external")]
assert s[0] == s[1], "the fitted models differ"
coef = next(st["params"]["coefficients"] for st in s[0] if "coefficients" in st["params"])
t = [json.load(open(f"{work}/{r}/metrics.json"))["variants"][0]["models"][0]["test"] for r in ("local", "external")]
assert t[0] == t[1], t
print(f"identical models ({len(coef)} coefficients) and test metrics {t[0]}")
PY

/usr/bin/time -f '%e %M' -o "$work/time" "$out/spindle" predict --model "$work/external/models/default" --input "$csv" \
  --out "$work/scored.parquet" --runner prism --endpoint "localhost:$JOB_PORT" --environment-type EXTERNAL \
  --environment-config localhost:50000 --staging "$work/stage-predict" > "$work/predict.txt" 2>&1 ||
  { cat "$work/predict.txt" >&2; exit 1; }
read -r wall maxkb < "$work/time"
python3 - "$work/scored.parquet/_SUCCESS" "$n" "$wall" "$maxkb" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["rows"] == int(sys.argv[2]), (m["rows"], sys.argv[2])
print(f"predict through the job server: {m['rows']} rows in {len(m['files'])} part files, "
      f"{float(sys.argv[3]):.1f} s, driver peak RSS {int(sys.argv[4])//1024} MiB")
PY
