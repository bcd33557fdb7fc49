#!/usr/bin/env bash
# The README's first command: builds spindle, prepares the example corpus
# and runs the reference training job on it (examples/spam/pipeline.yaml),
# printing the comparison table of its three feature variants.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p bin
log "building bin/spindle"
go build -o bin/spindle ./cmd/spindle
"$ROOT/scripts/example-data.sh"
bin/spindle run examples/spam/pipeline.yaml --out out/spam --set input.uri="$EXAMPLE_CSV"
