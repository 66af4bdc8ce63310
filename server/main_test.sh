#!/usr/bin/env bash
# The server binary as an operator runs it: flag validation with exit status 2
# and a message, start-up on a free port, and a clean stop on SIGTERM.
set -euo pipefail
server="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_usage_error() {
  local want="$1"; shift
  local status=0
  "$server" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  [[ $status -eq 2 ]] || fail "$* exited $status, want 2"
  grep -q -- "$want" "$tmp/err" || fail "$*: stderr lacks '$want': $(cat "$tmp/err")"
}

expect_usage_error "--dns_servers" --dns_servers=not-an-ip
expect_usage_error "--allow_targets" --allow_targets=10.0.0.0/33
expect_usage_error "--allow_targets" --allow_targets=example.com/8
expect_usage_error "--ca_file" --ca_file=/nonexistent/ca.pem
expect_usage_error "--tls_cert and --tls_key" --tls_cert=/etc/hostname
expect_usage_error "--max_inflight" --max_inflight=-1
printf 'limits { max_inflight: -5 }\n' >"$tmp/bad.textproto"
expect_usage_error "limits.max_inflight" --config="$tmp/bad.textproto"
printf 'weights {\n txt: "x"\n}\n' >"$tmp/syntax.textproto"
expect_usage_error "line 2" --config="$tmp/syntax.textproto"
printf 'weights { key: "mx_tsl" value: 10 }\n' >"$tmp/unknown_check.textproto"
expect_usage_error 'unknown check "mx_tsl"' --config="$tmp/unknown_check.textproto"

# Starts, reports its port, and stops cleanly on SIGTERM.
"$server" --listen=127.0.0.1:0 --dns_servers=127.0.0.1:9 --allow_targets=10.0.0.0/8,fd00::/8 \
  2>"$tmp/log" &
pid=$!
for _ in $(seq 1 600); do  # up to 30 s: start-up is the event, not a duration
  grep -q '"event":"serving"' "$tmp/log" && break
  sleep 0.05
done
grep -q '"event":"serving"' "$tmp/log" || { kill "$pid"; fail "server did not start: $(cat "$tmp/log")"; }
grep -q '"port":[1-9]' "$tmp/log" || fail "no port in start-up line"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
grep -q '"event":"stopped"' "$tmp/log" || fail "no stop record: $(cat "$tmp/log")"
echo PASS
