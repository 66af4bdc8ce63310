#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, builds, tests.
# Extra arguments go to bazel test, e.g. ./scripts/test.sh --test_filter=Fleet*
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure_deps.sh
exec bazel test //... "$@"
