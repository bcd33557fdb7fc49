#!/usr/bin/env bash
# Offline checks of deploy/ (no cloud, no provider): OpenTofu formatting,
# tflint with every rule of its bundled terraform ruleset, trivy's
# misconfiguration scan of the Terraform and Dockerfiles (HIGH and
# CRITICAL fail), and the Go security rules (go test ./deploy).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/deploy-tools.sh"
tofu=$SPINDLE_TOOLS/tofu-$OPENTOFU_VERSION/tofu
tflint=$SPINDLE_TOOLS/tflint-$TFLINT_VERSION/tflint
trivy=$SPINDLE_TOOLS/trivy-$TRIVY_VERSION/trivy

# An empty CLI configuration: the checks need no provider, registry or
# credentials, and a stale TF_CLI_CONFIG_FILE only makes tofu complain.
mkdir -p "$SPINDLE_CACHE"
: > "$SPINDLE_CACHE/tofurc"
export TF_CLI_CONFIG_FILE=$SPINDLE_CACHE/tofurc

log "tofu fmt -check"
"$tofu" fmt -check -recursive -diff deploy/terraform

for root in deploy/terraform/modules/spindle-emr deploy/terraform/examples/emr-run deploy/terraform/state; do
  log "tflint $root"
  "$tflint" --chdir="$root" --config="$ROOT/deploy/terraform/.tflint.hcl" --format=compact
done

log "trivy config deploy/"
cache=$SPINDLE_CACHE/trivy
mkdir -p "$cache"
"$trivy" config --cache-dir "$cache" --skip-check-update --exit-code 1 \
  --severity HIGH,CRITICAL --quiet deploy/

log "go test ./deploy"
go test -count=1 ./deploy
log "deploy checks passed"
