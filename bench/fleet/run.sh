#!/usr/bin/env bash
# The fleet benchmark in one command (needs root and the Debian packages in
# scripts/ensure_deps.sh): builds the server and CLI with -c opt, then runs
# bench/fleet/fleet.py in the e2e lab's network namespace (tests/e2e/run.sh).
#   sudo bench/fleet/run.sh --domains 10000 --out docs/fleet-10000.md
#   sudo bench/fleet/run.sh --domains 1000 --inflight 100,1000 --runs policy
# Flags: bench/fleet/fleet.py --help. MTASTS_E2E_KEEP=1 keeps the lab.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z ${MTASTS_E2E_SERVER:-} || -z ${MTASTS_E2E_CLI:-} ]]; then
  bazel build -c opt //server:mtasts_server //clients/cli:mtasts
  bin=$(bazel info -c opt bazel-bin)
  export MTASTS_E2E_SERVER=$bin/server/mtasts_server MTASTS_E2E_CLI=$bin/clients/cli/mtasts
fi
export MTASTS_LAB_SCRIPT=bench/fleet/fleet.py
export MTASTS_LAB_TIMEOUT=${MTASTS_LAB_TIMEOUT:-7200}
exec tests/e2e/run.sh "$@"
