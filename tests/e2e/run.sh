#!/usr/bin/env bash
# The end-to-end lab: real DNS (nsd + validating unbound), nginx and Postfix
# in a network namespace created here and removed on exit, the service and
# CLI run against them. Needs root and the Debian packages in
# scripts/ensure_deps.sh.
#   tests/e2e/run.sh               every scenario, then all through fleet mode
#   tests/e2e/run.sh enforce-ok    one scenario (or several) alone
# MTASTS_E2E_KEEP=1 keeps the lab directory (configs, logs, reports).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ $(id -u) -ne 0 ]]; then
  echo "tests/e2e/run.sh: needs root (network namespace, ports 25/53/443)" >&2
  exit 2
fi
SERVER=${MTASTS_E2E_SERVER:-bazel-bin/server/mtasts_server}
CLI=${MTASTS_E2E_CLI:-bazel-bin/clients/cli/mtasts}
if [[ -z ${MTASTS_E2E_SERVER:-} || -z ${MTASTS_E2E_CLI:-} ]]; then
  bazel build //server:mtasts_server //clients/cli:mtasts
fi
SERVER=$(realpath "$SERVER")
CLI=$(realpath "$CLI")

# Random names, so a second run (or a leftover) never collides with this one.
NS="mtasts-e2e-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
LAB=$(mktemp -d /tmp/mtasts-e2e.XXXXXX)
chmod 755 "$LAB"

lab_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $lab_pid ]] && kill -TERM "$lab_pid" 2>/dev/null; then
    # lab.py stops its daemons on SIGTERM; give it a bounded while.
    for _ in $(seq 100); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # End exactly the daemons lab.py started (it records each PID), whether or
  # not it got to stop them itself.
  if [[ -f $LAB/pids ]]; then
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done <"$LAB/pids"
    for _ in $(seq 50); do
      alive=0
      while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$LAB/pids"
      [[ $alive -eq 0 ]] && break
      sleep 0.1
    done
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$LAB/pids"
  fi
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/etc/netns/$NS"
  # Under bazel test, the reports and daemon logs become test outputs.
  if [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} ]]; then
    cp -r "$LAB/reports" "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null || true
    cp "$LAB"/*.out "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null || true
  fi
  if [[ -n ${MTASTS_E2E_KEEP:-} || $rc -ne 0 ]]; then
    echo "lab directory kept: $LAB" >&2
  else
    rm -rf "$LAB"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
addrs=$(cd tests/e2e && /usr/bin/python3 -c \
  'import scenarios; print(" ".join(scenarios.LAB_ADDRS))')
for addr in $addrs; do
  ip -n "$NS" addr add "$addr/32" dev lo
done
# ip netns exec bind-mounts this over /etc/resolv.conf inside the namespace.
mkdir -p "/etc/netns/$NS"
unbound=$(cd tests/e2e && /usr/bin/python3 -c 'import scenarios; print(scenarios.UNBOUND_ADDR)')
echo "nameserver $unbound" >"/etc/netns/$NS/resolv.conf"

start=$(date +%s)
status=0
# In the background, so a signal to this script runs the trap at once
# (bash defers traps while a foreground command runs).
# MTASTS_LAB_SCRIPT runs another lab in the same namespace (bench/fleet/).
ip netns exec "$NS" timeout "${MTASTS_LAB_TIMEOUT:-540}" /usr/bin/python3 \
  "${MTASTS_LAB_SCRIPT:-tests/e2e/lab.py}" \
  --lab "$LAB" --server "$SERVER" --cli "$CLI" "$@" &
lab_pid=$!
wait "$lab_pid" || status=$?
lab_pid=
echo "e2e lab: exit $status after $(( $(date +%s) - start ))s (namespace $NS)"
exit "$status"
