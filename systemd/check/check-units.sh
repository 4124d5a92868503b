#!/bin/sh
# check-units.sh DIR THRESHOLD: systemd-analyze verify both units in DIR,
# then fail if the service's exposure score (x10) is above THRESHOLD.
# Skipped (77) where systemd-analyze is missing.
set -eu
dir=$1
threshold=$2
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; exit 77; }
out=$(systemd-analyze verify "$dir/rawsockd.socket" "$dir/rawsockd.service" 2>&1)
if [ -n "$out" ]; then
    printf 'systemd-analyze verify:\n%s\n' "$out"
    exit 1
fi
systemd-analyze security --offline=yes --threshold="$threshold" \
    "$dir/rawsockd.service"
