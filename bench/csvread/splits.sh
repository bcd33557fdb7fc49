#!/usr/bin/env bash
# The split reader on a real corpus with quoted fields that span lines:
# the example corpus (SpamAssassin, examples/spam/data/spam.csv) repeated
# to about 1 GB, read by the embedded reader and by the workers of a
# standalone prism job server (EXTERNAL worker pool), whose 4 MiB cells
# start inside quoted fields; both must give the same partitions, byte for
# byte. Then the same with a malformed record placed 90% into the file:
# both must report it at the same file:line: column.
#
#   bench/csvread/splits.sh [COPIES]      (default 31: ~1.0 GB)
source "$(dirname "$0")/../../scripts/lib.sh"
copies=${1:-31}
out=$ROOT/bench/out
mkdir -p "$out"
cd "$ROOT"
[ -s "$EXAMPLE_CSV" ] || "$ROOT/scripts/example-data.sh"
go build -o "$out/csvread" ./bench/csvread
big=$out/spam-x$copies.csv
bad=$out/spam-x$copies-bad.csv
if [ ! -s "$big" ]; then
  log "writing $big"
  { head -n 1 "$EXAMPLE_CSV"; for _ in $(seq "$copies"); do tail -n +2 "$EXAMPLE_CSV"; done; } > "$big.tmp"
  mv "$big.tmp" "$big"
fi
if [ ! -s "$bad" ]; then
  python3 - "$big" "$bad" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
# After a record end 90% into the file (every record ends with its label,
# unquoted): a quoted field with text after its closing quote.
at = int(len(data) * 0.9)
cut = min(i for i in (data.find(b'",ham\n', at), data.find(b'",spam\n', at)) if i >= 0)
cut = data.index(b'\n', cut) + 1
open(sys.argv[2], "wb").write(data[:cut] + b'"broken" record,ham\n' + data[cut:])
PY
fi
make_work spindle-splits
start_job_server "$work"
for f in "$big" "$bad"; do
  log "$(basename "$f"): $(stat -c %s "$f") bytes"
  rm -rf "$work/stage"
  "$out/csvread" splits -endpoint "localhost:$JOB_PORT" -staging "$work/stage" "$f"
done
