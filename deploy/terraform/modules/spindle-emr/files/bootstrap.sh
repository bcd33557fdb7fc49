#!/bin/bash
# EMR bootstrap action (every node): install the spindle binary and the
# Beam Go SDK boot program from the artifacts bucket. Nothing is fetched
# from the internet and nothing is pip-installed at run time.
#   bootstrap.sh ARTIFACTS_BUCKET SPINDLE_KEY BOOT_KEY
set -euo pipefail
bucket=$1 spindle_key=$2 boot_key=$3
tmp=$(mktemp -d)
aws s3 cp --only-show-errors "s3://$bucket/$spindle_key" "$tmp/spindle"
aws s3 cp --only-show-errors "s3://$bucket/$boot_key" "$tmp/boot"
sudo install -m 0755 "$tmp/spindle" /usr/local/bin/spindle
sudo install -m 0755 "$tmp/boot" /usr/local/bin/beam-boot
rm -rf "$tmp"
/usr/local/bin/spindle version
