#!/usr/bin/env bash
# Starts the service: installs missing Debian packages, builds, runs.
# Extra arguments go to the server, e.g. ./scripts/serve.sh --listen=0.0.0.0:50051
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure_deps.sh
bazel build //server:mtasts_server //clients/cli:mtasts
exec bazel-bin/server/mtasts_server "$@"
