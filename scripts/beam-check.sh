#!/usr/bin/env bash
# The reference pipeline (examples/spam/pipeline.yaml) on the embedded
# engine, on Beam with prism in process, and on Beam against a standalone
# prism job server whose workers the Go SDK's boot program starts in
# separate processes (EXTERNAL environment, worker pool): the three runs
# must give identical fold and test metrics, as must the same job server
# with a Spindle worker pool (spindle worker-pool). Part of
# scripts/test.sh.
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

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def models(name):
    rep = json.load(open(f"{work}/{name}/metrics.json"))
    return {(v["name"], m["name"]): (m["test"], m.get("tuning", {}).get("foldMetrics"))
            for v in rep["variants"] for m in v["models"]}
ref = models("local")
for other in ("prism", "external", "spindle-pool"):
    got = models(other)
    if got != ref:
        for k in ref:
            if ref[k] != got.get(k):
                print(f"{other}: {k} differs:\n  local {ref[k]}\n  {other} {got.get(k)}", file=sys.stderr)
        sys.exit(1)
print(f"identical fold and test metrics on local, prism, the standalone job server and a Spindle worker pool ({len(ref)} models)", file=sys.stderr)
PY

# The reference run's report.html in a real browser: no console error,
# every chart drawn (report.TestReportInChromium).
if [ -n "${SPINDLE_CHROMIUM:-}" ]; then
  log "report.html of the reference run in headless Chromium"
  SPINDLE_REPORT_RUN="$work/local" go test -count=1 -run '^TestReportInChromium$' -v ./report 2>&1 | grep -E '^(---|ok|FAIL|\s+chromium_test)' >&2
  [ -s "$work/local/report.html" ] || { echo "the reference run wrote no report.html" >&2; exit 1; }
fi
