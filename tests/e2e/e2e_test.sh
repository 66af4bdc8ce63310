#!/usr/bin/env bash
# Bazel's entry to the lab: the service and CLI come from runfiles.
# Arguments: SERVER_BINARY CLI_BINARY [scenario ...]
set -euo pipefail
# --incompatible_strict_action_env leaves the daemons' /usr/sbin off PATH.
export PATH="/usr/sbin:/sbin:$PATH"
export MTASTS_E2E_SERVER="$1" MTASTS_E2E_CLI="$2"
shift 2
exec tests/e2e/run.sh "$@"
