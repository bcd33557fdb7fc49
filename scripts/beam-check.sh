#!/usr/bin/env bash
# The reference pipeline (examples/spam/pipeline.yaml) on the embedded
# engine, on Beam with prism in process, and on Beam against a standalone
# prism job server whose workers the Go SDK's boot program starts in
# separate processes (EXTERNAL environment, worker pool): the runs must
# give identical fold and test metrics, objective histories and top
# features, and identical saved models (every parameter and every learned
# value, as spindle inspect --json shows them), as must the same job
# server with a Spindle worker pool (spindle worker-pool). The embedded
# run's learned data is then read by an independent Parquet reader
# (Hyparquet, JavaScript, from the npm registry) and must equal inspect's.
# Part of scripts/test.sh.
#   scripts/beam-check.sh [extra spindle run flags…]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

make_work spindle-beam-check

log "building spindle"
go build -ldflags="-s -w" -o "$work/spindle" ./cmd/spindle
spindle=$work/spindle
start_job_server "$work"
port=$JOB_PORT

spec=examples/spam/pipeline.yaml
set_input=(--set "input.uri=$EXAMPLE_CSV" "$@")
run() {
  local name=$1; shift
  log "reference pipeline on $name"
  local start=$(date +%s)
  if ! "$spindle" run "$spec" "${set_input[@]}" --out "$work/$name" -q "$@" >"$work/$name.txt" 2>&1; then
    cat "$work/$name.txt" >&2
    [ -f "$work/prism.log" ] && tail -n 40 "$work/prism.log" >&2
    [ -f "$work/pool.log" ] && tail -n 40 "$work/pool.log" >&2
    exit 1
  fi
  cat "$work/$name.txt" >&2
  log "$name: $(( $(date +%s) - start )) s"
}
run local
run prism --runner prism --staging "$work/stage-prism"
run external --runner prism --endpoint "localhost:$port" --environment-type EXTERNAL \
  --environment-config localhost:50000 --staging "$work/stage-external"
# A Spindle worker pool of this build: jobs stage a placeholder, workers
# start inside the pool's process.
pool_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$spindle" worker-pool --port "$pool_port" >"$work/spindle-pool.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do listening "$pool_port" && break; sleep 0.1; done
run spindle-pool --runner prism --endpoint "localhost:$port" --environment-type EXTERNAL \
  --environment-config "localhost:$pool_port" --spindle-pool --staging "$work/stage-spindle-pool"

for name in local prism external spindle-pool; do
  for m in "$work/$name"/models/*/; do
    "$spindle" inspect "$m" --json --max-values 0 > "$m/../$(basename "$m").inspect.json"
  done
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def models(name):
    rep = json.load(open(f"{work}/{name}/metrics.json"))
    return {(v["name"], m["name"]): (m["test"], m.get("tuning", {}).get("foldMetrics"), m.get("objectiveHistory"), m.get("topFeatures"))
            for v in rep["variants"] for m in v["models"]}
def saved(name):
    out = {}
    for v in json.load(open(f"{work}/{name}/metrics.json"))["variants"]:
        info = json.load(open(f"{work}/{name}/models/{v['name']}.inspect.json"))
        out[v["name"]] = [(s["class"], s.get("params"), s.get("defaultParams"), s.get("values")) for s in info["stages"]]
    return out
ref, ref_saved = models("local"), saved("local")
for other in ("prism", "external", "spindle-pool"):
    got, got_saved = models(other), saved(other)
    if got != ref:
        for k in ref:
            if ref[k] != got.get(k):
                print(f"{other}: {k} differs:\n  local {str(ref[k])[:400]}\n  {other} {str(got.get(k))[:400]}", file=sys.stderr)
        sys.exit(1)
    for variant, stages in ref_saved.items():
        for i, (a, b) in enumerate(zip(stages, got_saved[variant])):
            if a != b:
                print(f"{other}: saved model {variant}, stage {i + 1} ({a[0]}) differs from the embedded run's", file=sys.stderr)
                sys.exit(1)
n = sum(len(s) for s in ref_saved.values())
print(f"identical fold and test metrics, objective histories, top features and saved models ({len(ref)} models, {n} stages, every parameter and learned value) on local, prism, the standalone job server and a Spindle worker pool", file=sys.stderr)
PY

# The learned data, read by another Parquet implementation.
hyp_dir=$SPINDLE_CACHE/npm/hyparquet-$HYPARQUET_VERSION
if [ ! -f "$hyp_dir/node_modules/hyparquet/package.json" ]; then
  log "installing hyparquet $HYPARQUET_VERSION from the npm registry (once)"
  mkdir -p "$hyp_dir"
  (cd "$hyp_dir" && npm install --no-audit --no-fund --silent "hyparquet@$HYPARQUET_VERSION" >/dev/null)
fi
cp "$ROOT/scripts/read-model.mjs" "$hyp_dir/read-model.mjs"
for m in "$work"/local/models/*/; do
  variant=$(basename "$m")
  i=0
  for s in "$m"stages/*/; do
    if [ -f "$s/data.parquet" ] && grep -q '"feature.IDFModel"\|"classification.LogisticRegressionModel"\|"feature.Word2VecModel"\|"feature.MinMaxScalerModel"' "$s/metadata.json"; then
      node "$hyp_dir/read-model.mjs" "$s" "$work/local/models/$variant.inspect.json" "$i" >&2
    fi
    i=$((i + 1))
  done
done

# The reference run's report.html in a real browser: no console error,
# every chart drawn (report.TestReportInChromium).
if [ -n "${SPINDLE_CHROMIUM:-}" ]; then
  log "report.html of the reference run in headless Chromium"
  SPINDLE_REPORT_RUN="$work/local" go test -count=1 -run '^TestReportInChromium$' -v ./report 2>&1 | grep -E '^(---|ok|FAIL|\s+chromium_test)' >&2
  [ -s "$work/local/report.html" ] || { echo "the reference run wrote no report.html" >&2; exit 1; }
fi
