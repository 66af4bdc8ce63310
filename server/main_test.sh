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
  # Bounded: a server that wrongly accepts the flags starts serving instead.
  timeout 30 "$server" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
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

# --listen: a port out of range is refused, never wrapped (500511 would be
# 41759, 65536 a random port) or defaulted (no port would be 443).
bad_port="port must be a number from 1 to 65535"
expect_usage_error "--listen \"127.0.0.1:500511\": $bad_port" --listen=127.0.0.1:500511
expect_usage_error "--listen \"127.0.0.1:65536\": $bad_port" --listen=127.0.0.1:65536
expect_usage_error "--listen \"127.0.0.1\": no port; $bad_port" --listen=127.0.0.1
expect_usage_error "--listen \"\[::1\]:65536\": $bad_port" '--listen=[::1]:65536'
expect_usage_error "--listen \"mail.example:50051\": not an IPv4 address or localhost" \
  --listen=mail.example:50051
expect_usage_error "--listen \"\[::1\": missing ']'" '--listen=[::1'
# The same words as --dns_servers, from the same parser.
expect_usage_error "DNS server \"127.0.0.1:500511\": $bad_port" --dns_servers=127.0.0.1:500511

# --config: a directory used to start silently with the defaults.
mkdir -p "$tmp/config.d"
expect_usage_error "--config $tmp/config.d: is a directory" --config="$tmp/config.d"
expect_usage_error "--config /nonexistent/mtasts.textproto: No such file" \
  --config=/nonexistent/mtasts.textproto

# TLS files are checked before gRPC sees them (it only says "cannot listen").
printf 'not a certificate\n' >"$tmp/not.pem"
expect_usage_error "--tls_cert $tmp/not.pem: no PEM certificate" \
  --tls_cert="$tmp/not.pem" --tls_key="$tmp/not.pem"
expect_usage_error "--tls_cert $tmp/config.d: is a directory" \
  --tls_cert="$tmp/config.d" --tls_key="$tmp/not.pem"
expect_usage_error "--tls_client_ca needs --tls_cert and --tls_key" --tls_client_ca="$tmp/not.pem"

# Starts on `listen` (with any further flags), reports its port, and stops
# cleanly on SIGTERM.
start_and_stop() {
  local listen="$1"; shift
  "$server" --listen="$listen" --dns_servers=127.0.0.1:9 --allow_targets=10.0.0.0/8,fd00::/8 \
    "$@" 2>"$tmp/log" &
  local pid=$!
  for _ in $(seq 1 600); do  # up to 30 s: start-up is the event, not a duration
    grep -q '"event":"serving"' "$tmp/log" && break
    sleep 0.05
  done
  grep -q '"event":"serving"' "$tmp/log" ||
    { kill "$pid"; fail "server did not start on $listen: $(cat "$tmp/log")"; }
  grep -q '"port":[1-9]' "$tmp/log" || fail "no port in start-up line"
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  [[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
  grep -q '"event":"stopped"' "$tmp/log" || fail "no stop record: $(cat "$tmp/log")"
}
# Port 0: the kernel picks a free port (what tests use).
start_and_stop 127.0.0.1:0
start_and_stop '[::1]:0'
# The README's example --config file, as written there.
readme="$2"
awk '/^Example `--config` file:/ { f = 1; next }
     f == 1 && /^```/ { f = 2; next }
     f == 2 && /^```/ { exit }
     f == 2 { print }' "$readme" >"$tmp/readme.textproto"
grep -q 'weights' "$tmp/readme.textproto" || fail "no example --config found in $readme"
start_and_stop 127.0.0.1:0 --config="$tmp/readme.textproto"
# --metrics_listen: the --listen forms (IPv4 only), a metrics line with its port.
expect_usage_error "--metrics_listen \"127.0.0.1:65536\": $bad_port" --metrics_listen=127.0.0.1:65536
expect_usage_error "--metrics_listen \"\[::1\]:0\": IPv6 is not supported" '--metrics_listen=[::1]:0'
start_and_stop 127.0.0.1:0 --metrics_listen=127.0.0.1:0
grep -q '"event":"metrics","listen":"127.0.0.1:0","port":[1-9]' "$tmp/log" ||
  fail "no metrics line: $(cat "$tmp/log")"

# --check_config: the same checks as a start, then exit without serving
# (the Kubernetes manifests' test dry-runs its ConfigMap this way).
status=0
timeout 30 "$server" --check_config --config="$tmp/readme.textproto" --listen=127.0.0.1:0 \
  >"$tmp/out" 2>"$tmp/err" || status=$?
[[ $status -eq 0 ]] || fail "--check_config of the README config exited $status: $(cat "$tmp/err")"
[[ "$(cat "$tmp/out")" == "config ok" ]] || fail "--check_config printed '$(cat "$tmp/out")'"
grep -q '"event":"serving"' "$tmp/err" && fail "--check_config started serving"
expect_usage_error "limits.max_inflight" --check_config --config="$tmp/bad.textproto"
expect_usage_error "line 2" --check_config --config="$tmp/syntax.textproto"
expect_usage_error 'unknown check "mx_tsl"' --check_config --config="$tmp/unknown_check.textproto"
expect_usage_error "--max_inflight" --check_config --max_inflight=-1
expect_usage_error "--listen \"127.0.0.1\": no port" --check_config --listen=127.0.0.1
grep -q "config ok" "$tmp/out" && fail "--check_config printed ok for a bad --listen"
# What Start checks beyond main: the engine's settings, the metrics address.
expect_usage_error "--allow_targets" --check_config --allow_targets=10.0.0.0/33
expect_usage_error "--ca_file" --check_config --ca_file=/nonexistent/ca.pem
expect_usage_error "IPv6 is not supported" --check_config '--metrics_listen=[::1]:0'
expect_usage_error "--tls_cert $tmp/not.pem: no PEM certificate" \
  --check_config --tls_cert="$tmp/not.pem" --tls_key="$tmp/not.pem"

# mtasts_health_probe (the image's HEALTHCHECK): SERVING while the server
# runs, for the server and for the service; an unknown service and a closed
# port are failures.
probe="$3"
"$server" --listen=127.0.0.1:0 --dns_servers=127.0.0.1:9 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 600); do
  grep -q '"event":"serving"' "$tmp/log" && break
  sleep 0.05
done
port=$(sed -n 's/.*"event":"serving".*"port":\([0-9]*\).*/\1/p' "$tmp/log")
[[ -n "$port" ]] || { kill "$pid"; fail "server did not start: $(cat "$tmp/log")"; }
"$probe" --target="127.0.0.1:$port" >"$tmp/out" 2>&1 || { kill "$pid"; fail "probe: $(cat "$tmp/out")"; }
[[ "$(cat "$tmp/out")" == "SERVING" ]] || { kill "$pid"; fail "probe printed $(cat "$tmp/out")"; }
"$probe" --target="127.0.0.1:$port" --service=mtasts.v1.MtaStsChecker >"$tmp/out" 2>&1 ||
  { kill "$pid"; fail "probe of the service: $(cat "$tmp/out")"; }
status=0
"$probe" --target="127.0.0.1:$port" --service=no.such.Service >"$tmp/out" 2>&1 || status=$?
[[ $status -eq 1 ]] || { kill "$pid"; fail "probe of an unknown service exited $status"; }
grep -q "status 5" "$tmp/out" || { kill "$pid"; fail "unknown service: $(cat "$tmp/out")"; }
kill -TERM "$pid"
wait "$pid" || fail "server exit status $? after SIGTERM"
status=0
"$probe" --target="127.0.0.1:$port" --timeout=2s >"$tmp/out" 2>&1 || status=$?
[[ $status -eq 1 ]] || fail "probe of a stopped server exited $status"
echo PASS
