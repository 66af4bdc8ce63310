#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, builds, tests,
# runs the end-to-end lab and the container image test as root, then each
# fuzz target for a few seconds.
# Extra arguments go to bazel test, e.g. ./scripts/test.sh --test_filter=Fleet*
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure_deps.sh
# No source file over 800 lines, test tables excepted (docs/design.md §10.7).
tools/check_source_sizes.sh
# No file points at a document outside the repository.
tools/check_outside_refs.sh
bazel test //... "$@"
# The end-to-end lab (tests/e2e/): real nsd, unbound, nginx and Postfix in a
# network namespace; needs root, so it runs where CI runs (as root).
if [[ $(id -u) -eq 0 && -z ${MTASTS_SKIP_E2E:-} ]]; then
  bazel test //tests/e2e:e2e_test //bench/fleet:fleet_test
else
  echo "skipping //tests/e2e:e2e_test and //bench/fleet:fleet_test: need root (or MTASTS_SKIP_E2E is set)" >&2
fi
# The container image (deploy/image/image_test.sh): builds it with
# scripts/image.sh (root; Debian's mirror), runs it in a network namespace
# against the client lab's fakes and calls CheckDomain. Then
# deploy/image/replicas_image_test.sh: the replicas tests on three containers
# of it (one killed, one stopped mid-fleet).
if [[ $(id -u) -eq 0 && -z ${MTASTS_SKIP_IMAGE:-} ]]; then
  deploy/image/image_test.sh
  deploy/image/replicas_image_test.sh
else
  echo "skipping deploy/image/image_test.sh and replicas_image_test.sh: need root" \
    "(or MTASTS_SKIP_IMAGE is set)" >&2
fi
# Every parser's libFuzzer target, briefly, on its seed corpus (clang).
tools/fuzz_smoke.sh
