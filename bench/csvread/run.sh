#!/usr/bin/env bash
# CSV read benchmark: Spindle's reader against pandas.read_csv (Debian's
# python3-pandas) on the same generated 1,000,000 x 28 numeric CSV, run
# alternately, N times each. Prints seconds, MB/s and peak RSS per run and
# the median ratio. Needs /usr/bin/time (Debian package "time").
#
#   bench/csvread/run.sh [RUNS]
source "$(dirname "$0")/../../scripts/lib.sh"
runs=${1:-5}
out=$ROOT/bench/out
mkdir -p "$out"
data=$out/numeric-1m-28.csv
cd "$ROOT"
go build -o "$out/csvread" ./bench/csvread
if [ ! -s "$data" ]; then
  log "generating $data (seed 42)"
  "$out/csvread" gen -rows 1000000 -cols 28 -seed 42 -o "$data"
fi
size=$(stat -L -c %s "$data")
py=/usr/bin/python3
$py -c 'import pandas' 2>/dev/null || { echo "needs Debian's python3-pandas" >&2; exit 1; }
measure() { # prints "seconds peak_kb"
  /usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" >/dev/null
  cat "$out/time.txt"
}
printf 'file: %s (%d bytes; float64 data %d MB)\n' "$data" "$size" $((1000000 * 28 * 8 / 1000000))
printf '%-8s %8s %8s %10s\n' run tool seconds peak_MB
: > "$out/ratios.txt"
for i in $(seq "$runs"); do
  read -r s_sec s_kb < <(measure "$out/csvread" read "$data")
  read -r p_sec p_kb < <(measure $py -c "import pandas, sys; pandas.read_csv(sys.argv[1])" "$data")
  printf '%-8s %8s %8s %10d\n' "$i" spindle "$s_sec" $((s_kb / 1024)) "$i" pandas "$p_sec" $((p_kb / 1024))
  echo "$p_sec $s_sec" | awk '{print $1/$2}' >> "$out/ratios.txt"
done
median=$(sort -g "$out/ratios.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median speedup (pandas seconds / spindle seconds): $median"
