#!/usr/bin/env bash
# Builds the offline checkers for deploy/, each only when missing, into
# $SPINDLE_TOOLS/<tool>-<version>/ (cold: 5–20 minutes each on 2 cores):
#   OpenTofu  from a copy of its module source (go install refuses the
#             module: its go.mod has replace directives);
#   tflint    by go install (its bundled terraform ruleset included);
#   trivy     by go install, with GOEXPERIMENT=jsonv2 as v0.74.0 needs.
source "$(dirname "$0")/lib.sh"

build() { # name version command...
  local name=$1 version=$2 dir=$SPINDLE_TOOLS/$1-$2
  shift 2
  if [ -x "$dir/$name" ]; then
    log "$name: $dir/$name"
    return
  fi
  log "building $name $version (once; several minutes)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  "$@" "$dir.tmp"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "$name: $dir/$name"
}

tofu_build() {
  local out=$1 src
  src=$(go mod download -json "github.com/opentofu/opentofu@$OPENTOFU_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "cannot download the OpenTofu module"; return 1; }
  local work
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$out/tofu" ./cmd/tofu)
  rm -rf "$work"
}
tflint_build() { CGO_ENABLED=0 GOBIN=$1 go install "github.com/terraform-linters/tflint@$TFLINT_VERSION"; }
trivy_build() { CGO_ENABLED=0 GOEXPERIMENT=jsonv2 GOBIN=$1 go install "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"; }

build tflint "$TFLINT_VERSION" tflint_build
build trivy "$TRIVY_VERSION" trivy_build
build tofu "$OPENTOFU_VERSION" tofu_build
