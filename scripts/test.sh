#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, builds, tests,
# then runs each fuzz target for a few seconds.
# Extra arguments go to bazel test, e.g. ./scripts/test.sh --test_filter=Fleet*
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure_deps.sh
bazel test //... "$@"
# Every parser's libFuzzer target, briefly, on its seed corpus (clang).
tools/fuzz_smoke.sh
