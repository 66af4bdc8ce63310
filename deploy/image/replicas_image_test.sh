#!/usr/bin/env bash
# Many replicas, one fleet, on containers of the server's image (root):
# //tests/replicas:replicas_test with its replicas run as three containers
# (podman run, attached) instead of three processes. In a network namespace
# this script creates (loopback only; removed on any exit) the test binary
# runs the fake DNS, HTTPS and SMTP servers on 127.0.0.1 and the containers
# join that namespace, so they reach the fakes and nothing else. Mid-fleet one
# container is killed (`podman kill -s KILL`) and another stopped (`podman
# stop`: SIGTERM through tini, the server drains); every entry must be
# answered exactly once, the summary's counts exact, the dead ones' entries
# re-sent. The health-drain and CLI tests of replicas_test run on containers
# too. Prints the fleet's wall time and the re-sent counts.
#
#   sudo deploy/image/replicas_image_test.sh   # builds the image (scripts/image.sh)
#
# Not root: skipped with a message, except under CI=true, where it fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  [[ ${CI:-} == true ]] && fail "needs root (podman, network namespace); CI=true"
  echo "skipping deploy/image/replicas_image_test.sh: needs root (podman, network namespace)" >&2
  exit 0
fi

# Builds (or, when nothing changed, only re-tags) the image; installs podman
# when missing.
scripts/image.sh
command -v podman >/dev/null || fail "podman is missing after scripts/image.sh"
image="localhost/$(scripts/image.sh --print-name)"
bazel build //tests/replicas:replicas_test //server:mtasts_server //clients/cli:mtasts
bin=$(bazel info bazel-bin 2>/dev/null)

ns="mtasts-replicas-$$"
prefix="mtasts-replicas-test-$$"
work=$(mktemp -d /tmp/mtasts-replicas-image.XXXXXX)
cleanup() {
  # Only the containers this run named (the test removes them itself too).
  podman ps -a --format '{{.Names}}' --filter "name=^$prefix-" 2>/dev/null |
    while read -r name; do
      if [[ $name == "$prefix"-* ]]; then podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; fi
    done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
start=$(date +%s)
TEST_TMPDIR="$work" MTASTS_REPLICA_IMAGE="$image" MTASTS_REPLICA_NETNS="/run/netns/$ns" \
  MTASTS_REPLICA_PODMAN_PID=$$ MTASTS_REPLICA_PREFIX="$prefix" ip netns exec "$ns" \
  "$bin/tests/replicas/replicas_test" "$bin/server/mtasts_server" "$bin/clients/cli/mtasts" \
  >"$work/test.log" 2>&1 || { tail -n 80 "$work/test.log" >&2; fail "replicas_test on containers"; }
grep -E '^replicas \(containers\)|^\[ +(OK|PASSED) ' "$work/test.log"
left=$(podman ps -a --format '{{.Names}}' --filter "name=^$prefix-" | wc -l)
[[ $left -eq 0 ]] || fail "$left containers left behind"
echo "replicas on containers: $(($(date +%s) - start)) s for the three tests"
echo PASS
