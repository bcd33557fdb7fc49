#!/usr/bin/env bash
# The README's first command: builds spindle, prepares the example corpus
# and profiles it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p bin
log "building bin/spindle"
go build -o bin/spindle ./cmd/spindle
"$ROOT/scripts/example-data.sh"
bin/spindle profile "$EXAMPLE_CSV" --label label
