#!/usr/bin/env bash
# Bazel's entry to the 500-domain fleet check: every healthy domain must come
# back ENFORCED with every requested check PASS, none lost or refused, at the
# default in-flight limit and with the whole fleet in flight at once.
# Arguments: SERVER_BINARY CLI_BINARY
set -euo pipefail
# --incompatible_strict_action_env leaves the daemons' /usr/sbin off PATH.
export PATH="/usr/sbin:/sbin:$PATH"
export MTASTS_E2E_SERVER="$1" MTASTS_E2E_CLI="$2"
export MTASTS_LAB_SCRIPT=bench/fleet/fleet.py MTASTS_LAB_TIMEOUT=600
exec tests/e2e/run.sh --domains 500 --inflight 100,500 --runs policy,all \
  --no-peer --no-floor --no-warmup --check
