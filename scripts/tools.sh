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

# prism (Beam's Go runner, as a standalone job server) and the Go SDK's boot
# program (the EXTERNAL worker pool), built from the Beam module go.mod
# requires, into $SPINDLE_TOOLS/beam-<version>/ (internal/beamtest uses the
# same place).
beam_version=$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2)
beam_dir=$SPINDLE_TOOLS/beam-$beam_version
for prog in prism:go/cmd/prism beam-boot:go/container; do
  name=${prog%%:*} pkg=github.com/apache/beam/sdks/v2/${prog#*:}
  if [ ! -x "$beam_dir/$name" ]; then
    log "building $name (Beam $beam_version, once)"
    mkdir -p "$beam_dir"
    (cd "$ROOT" && go build -o "$beam_dir/$name.tmp" "$pkg")
    mv "$beam_dir/$name.tmp" "$beam_dir/$name"
  fi
done
log "Beam programs: $beam_dir"

# Headless Chromium (Debian package chromium) for the report test, which
# opens report.html in a real browser.
if ! command -v chromium >/dev/null; then
  log "installing chromium (Debian package, once)"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  else
    sudo -n sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium' >&2
  fi
fi
log "chromium: $(command -v chromium)"
