#!/usr/bin/env bash
# Installs the tools the tests need, each only when missing:
#   versitygw (S3-compatible server for the storage tests), from the Go
#   module proxy, into $SPINDLE_TOOLS/versitygw-<version>/.
source "$(dirname "$0")/lib.sh"

vgw_dir=$SPINDLE_TOOLS/versitygw-$VERSITYGW_VERSION
if [ ! -x "$vgw_dir/versitygw" ]; then
  log "building versitygw $VERSITYGW_VERSION (a few minutes, once)"
  mkdir -p "$vgw_dir.tmp"
  GOBIN=$vgw_dir.tmp go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  rm -rf "$vgw_dir" && mv "$vgw_dir.tmp" "$vgw_dir"
fi
log "versitygw: $vgw_dir/versitygw"
