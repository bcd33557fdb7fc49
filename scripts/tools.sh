#!/usr/bin/env bash
# Installs the tools the tests need, each only when missing:
#   versitygw (S3-compatible server for the storage tests), from the Go
#   module proxy, into $SPINDLE_TOOLS/versitygw-<version>/;
#   staticcheck, into $SPINDLE_TOOLS/staticcheck-<version>/.
source "$(dirname "$0")/lib.sh"

vgw_dir=$SPINDLE_TOOLS/versitygw-$VERSITYGW_VERSION
if [ ! -x "$vgw_dir/versitygw" ]; then
  log "building versitygw $VERSITYGW_VERSION (a few minutes, once)"
  mkdir -p "$vgw_dir.tmp"
  GOBIN=$vgw_dir.tmp go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  rm -rf "$vgw_dir" && mv "$vgw_dir.tmp" "$vgw_dir"
fi
log "versitygw: $vgw_dir/versitygw"

sc_dir=$SPINDLE_TOOLS/staticcheck-$STATICCHECK_VERSION
if [ ! -x "$sc_dir/staticcheck" ]; then
  log "building staticcheck $STATICCHECK_VERSION (once)"
  mkdir -p "$sc_dir.tmp"
  GOBIN=$sc_dir.tmp go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
  rm -rf "$sc_dir" && mv "$sc_dir.tmp" "$sc_dir"
fi
