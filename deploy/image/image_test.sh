#!/usr/bin/env bash
# The container image end to end (root): builds it with scripts/image.sh, then
# in a network namespace this script creates (loopback only, removed on any
# exit) runs the fakes of tests/clientlab and the container, and checks that
#   - every library the server links resolves inside the image (ldd);
#   - the container runs as uid 10001 with a read-only root file system;
#   - its HEALTHCHECK (gRPC health service) turns healthy;
#   - CheckDomain on good.test (fake DNS, policy web and MX) reports ENFORCED
#     with txt, policy_fetch, policy_content, mx_match, tls_rpt, mx_tls PASS;
#   - `podman stop` (SIGTERM through tini) ends it cleanly, exit status 0.
# Prints the image size, build time and the server's resident memory at idle.
# Nothing leaves the namespace: the container has no other network.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "needs root (podman, network namespace)"

start=$(date +%s)
scripts/image.sh
build_s=$(($(date +%s) - start))
image="localhost/$(scripts/image.sh --print-name)"
bazel build //tests/clientlab:client_lab //clients/cli:mtasts //server:mtasts_server
bin=$(bazel info bazel-bin 2>/dev/null)
lab_bin="$bin/tests/clientlab/client_lab"
cli_bin="$bin/clients/cli/mtasts"
server_bin="$bin/server/mtasts_server"

ns="mtasts-image-$$"
name="mtasts-image-test-$$"
work=$(mktemp -d /tmp/mtasts-image-test.XXXXXX)
lab_pid=""
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  exec 3>&- 2>/dev/null || true  # EOF on the lab's stdin stops it
  [[ -n "$lab_pid" ]] && { kill "$lab_pid" 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; }
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Libraries: ldd inside the image, without any network.
podman run --rm --network=none --entrypoint /usr/bin/ldd "$image" /usr/local/bin/mtasts_server \
  >"$work/ldd" 2>&1 || fail "ldd in the image: $(cat "$work/ldd")"
grep -q "not found" "$work/ldd" && fail "libraries missing in the image: $(grep 'not found' "$work/ldd")"

# 2. The namespace and the fakes (client_lab, stopped by EOF on stdin).
ip netns add "$ns"
ip -n "$ns" link set lo up
mkfifo "$work/lab.in"
mkdir "$work/lab"
TEST_TMPDIR="$work/lab" ip netns exec "$ns" "$lab_bin" --server="$server_bin" \
  --pki=clients/cli/testdata --fleet_size=0 --slow_size=0 \
  <"$work/lab.in" >"$work/lab.json" 2>"$work/lab.log" &
lab_pid=$!
exec 3>"$work/lab.in"
for _ in $(seq 1 600); do  # up to 60 s: the JSON line is the event
  [[ -s "$work/lab.json" ]] && break
  kill -0 "$lab_pid" 2>/dev/null || fail "client_lab died: $(cat "$work/lab.log")"
  sleep 0.1
done
[[ -s "$work/lab.json" ]] || fail "client_lab did not start: $(cat "$work/lab.log")"
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/lab.json" "$1"; }
dns=$(field dns)
ca_dir=$(dirname "$(field policy_ca_file)")
ca_file=$(basename "$(field policy_ca_file)")
# The server runs as uid 10001; the lab wrote the CA file for root only.
chmod 755 "$work" "$ca_dir"
chmod 644 "$ca_dir/$ca_file"

# 3. The container in that namespace: read-only root, the fakes' trust store
# mounted read-only, every lookup to the fake DNS (DNSSEC too).
# --health-interval=disable: no systemd timer here; the test runs the
# image's HEALTHCHECK itself (podman healthcheck run).
podman run -d --name "$name" --network="ns:/run/netns/$ns" --read-only \
  --health-interval=disable \
  -v "$ca_dir:/lab:ro" "$image" \
  --listen=0.0.0.0:50051 --metrics_listen=127.0.0.1:9464 \
  --dns_servers="$dns" --dnssec_forwarder="$dns" --allow_targets=127.0.0.0/8 \
  --ca_file="/lab/$ca_file" --https_port="$(field https_port)" --smtp_port="$(field smtp_port)" \
  >/dev/null
healthy=""
for _ in $(seq 1 100); do  # up to ~30 s
  if podman healthcheck run "$name" >/dev/null 2>&1; then healthy=1; break; fi
  [[ "$(podman inspect -f '{{.State.Running}}' "$name")" == true ]] ||
    fail "container exited: $(podman logs "$name" 2>&1)"
  sleep 0.3
done
[[ -n "$healthy" ]] || fail "HEALTHCHECK never passed: $(podman logs "$name" 2>&1)"
[[ "$(podman exec "$name" id -u)" == 10001 ]] || fail "not running as uid 10001"
podman exec "$name" touch /usr/local/bin/x 2>/dev/null && fail "root file system is writable"

# 4. CheckDomain through the CLI, from the namespace.
ip netns exec "$ns" "$cli_bin" check --json --server 127.0.0.1:50051 --timeout 60s \
  --checks txt,policy_fetch,policy_content,mx_match,tls_rpt,mx_tls good.test >"$work/report.json" ||
  fail "mtasts check exited $?: $(cat "$work/report.json") $(podman logs "$name" 2>&1 | tail -5)"
python3 - "$work/report.json" <<'EOF' || fail "unexpected report: $(cat "$work/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["state"] == "MTA_STS_STATE_ENFORCED", r["state"]
status = {c["check"]: c["status"] for c in r["checks"]}
for check in ["txt", "policy_fetch", "policy_content", "mx_match", "tls_rpt", "mx_tls"]:
    assert status.get(check) == "CHECK_STATUS_PASS", (check, status.get(check))
print("CheckDomain good.test:", r["state"], "score", r.get("score"), "grade", r.get("grade"))
EOF

# 5. Idle memory of the server (tini's child), after the call.
tini=$(podman inspect -f '{{.State.Pid}}' "$name")
server_pid=$(cat "/proc/$tini/task/$tini/children" | awk '{print $1}')
rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")

# 6. SIGTERM through tini: a clean stop well before podman's 30 s SIGKILL.
stop_start=$(date +%s%N)
podman stop -t 30 "$name" >/dev/null
stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[[ "$code" == 0 ]] || fail "exit status $code after podman stop (SIGKILL would be 137)"
podman logs "$name" 2>&1 | grep -q '"event":"stopped"' || fail "no stopped event in the log"

size=$(podman image inspect -f '{{.Size}}' "$image")
echo "image $image: $((size / 1024 / 1024)) MiB; build $build_s s; server RSS at idle $((rss_kib / 1024)) MiB; stop $stop_ms ms"
echo PASS
