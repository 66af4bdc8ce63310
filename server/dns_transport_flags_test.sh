#!/usr/bin/env bash
# mtasts_server's --dns_transport and --dns_servers: bad combinations stop
# start-up naming the flag (exit 2); a good one starts and says so.
set -uo pipefail
SERVER="$1"
fails=0

expect_refused() {  # words, flags...
  local words="$1"; shift
  local out rc
  out=$(timeout 10 "$SERVER" --listen=127.0.0.1:0 "$@" 2>&1); rc=$?
  if [[ $rc -ne 2 || "$out" != *"$words"* ]]; then
    echo "FAIL: $* -> exit $rc, want 2 and \"$words\": $out"
    fails=$((fails + 1))
  fi
}

expect_refused '--dns_transport: "quic" is not a DNS transport' --dns_transport=quic
expect_refused 'needs --dns_servers naming the resolvers' --dns_transport=tls
expect_refused 'needs the address to connect to after #' \
  --dns_transport=https --dns_servers=https://dns.example/dns-query
expect_refused 'a DoH server is an https:// URL' --dns_transport=https --dns_servers=127.0.0.1
expect_refused '--ca_file (for the --dns_transport resolver)' \
  --dns_transport=tls --dns_servers=127.0.0.1:853#dns.test --ca_file=/nonexistent/ca.pem
expect_refused '--dns_servers:' --dns_servers=https://127.0.0.1/dns-query

# A good one: starts (connecting lazily: nothing needs to listen), announces
# the transport, stops on SIGTERM.
log=$(mktemp)
"$SERVER" --listen=127.0.0.1:0 --dns_transport=tls --dns_servers='127.0.0.1:853#dns.test' \
  2>"$log" &
pid=$!
for _ in $(seq 100); do
  grep -q '"event":"serving"' "$log" && break
  sleep 0.05  # polling the child's log for its start-up line
done
if ! grep -q '"dns_transport":"tls","dns_servers":"127.0.0.1:853#dns.test"' "$log"; then
  echo "FAIL: serving line: $(cat "$log")"
  fails=$((fails + 1))
fi
kill "$pid"
wait "$pid"
rm -f "$log"
[[ $fails -eq 0 ]] && echo "all ok"
exit $fails
