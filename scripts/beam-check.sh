#!/usr/bin/env bash
# The reference pipeline (examples/spam/pipeline.yaml) on the embedded
# engine, on Beam with prism in process, and on Beam against a standalone
# prism job server whose workers the Go SDK's boot program starts in
# separate processes (EXTERNAL environment, worker pool): the three runs
# must give identical fold and test metrics. Part of scripts/test.sh.
#   scripts/beam-check.sh [extra spindle run flags…]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

beam_version=$(go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2)
beam_dir=$SPINDLE_TOOLS/beam-$beam_version
[ -x "$beam_dir/prism" ] && [ -x "$beam_dir/beam-boot" ] || "$ROOT/scripts/tools.sh"

work=$(mktemp -d /tmp/spindle-beam-check.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "building spindle"
go build -ldflags="-s -w" -o "$work/spindle" ./cmd/spindle
spindle=$work/spindle

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && exec "$beam_dir/prism" --job_port "$port" --serve_http=false --log_level warn >"$work/prism.log" 2>&1) &
pids+=($!)
listening() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# A worker pool on port 50000 (the boot program's fixed port): one already
# there is used; ours is started again if it exits at once (a pool stopped
# just before can hold the port for a moment).
for try in $(seq 10); do
  listening 50000 && break
  # (in $work: the boot program writes pipeline_options.json where it runs)
  (cd "$work" && exec "$beam_dir/beam-boot" --worker_pool >>"$work/pool.log" 2>&1) &
  pool=$!
  for _ in $(seq 100); do listening 50000 && break; kill -0 "$pool" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pool" 2>/dev/null && listening 50000; then pids+=("$pool"); break; fi
  sleep 1
done
listening 50000 || { echo "no worker pool listens on :50000" >&2; cat "$work/pool.log" >&2; exit 1; }
for _ in $(seq 300); do listening "$port" && break; sleep 0.1; done
listening "$port" || { echo "prism does not listen on :$port" >&2; cat "$work/prism.log" >&2; exit 1; }

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

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def models(name):
    rep = json.load(open(f"{work}/{name}/metrics.json"))
    return {(v["name"], m["name"]): (m["test"], m.get("tuning", {}).get("foldMetrics"))
            for v in rep["variants"] for m in v["models"]}
ref = models("local")
for other in ("prism", "external"):
    got = models(other)
    if got != ref:
        for k in ref:
            if ref[k] != got.get(k):
                print(f"{other}: {k} differs:\n  local {ref[k]}\n  {other} {got.get(k)}", file=sys.stderr)
        sys.exit(1)
print(f"identical fold and test metrics on local, prism and the standalone job server ({len(ref)} models)", file=sys.stderr)
PY
