#!/usr/bin/env bash
# Runs every libFuzzer target for a short, bounded time on its seed corpus
# (kept in the repository), as part of the test suite. A crash, leak,
# timeout or sanitizer report fails the run; the input that caused it (the
# reproducer) and the fuzzer's log are kept in a directory the output names,
# with the command that replays it.
#
#   tools/fuzz_smoke.sh            # FUZZ_SECONDS per target, default 10
#   FUZZ_SECONDS=300 tools/fuzz_smoke.sh
#   FUZZ_ARTIFACTS=/some/dir tools/fuzz_smoke.sh   # where reproducers go
#
# The corpus is copied to a temporary directory first, so new inputs the
# fuzzer finds never dirty the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-10}"
# libFuzzer reads -max_total_time with atoi, and 0 means no limit: a typo
# would fuzz forever.
if [[ ! $SECONDS_PER_TARGET =~ ^[1-9][0-9]{0,5}$ ]]; then
  echo "tools/fuzz_smoke.sh: FUZZ_SECONDS='$SECONDS_PER_TARGET' is not a" \
       "number of seconds (a whole number from 1 to 999999)" >&2
  exit 2
fi

tools/build_fuzzers.sh >/dev/null

# name | seed corpus | dictionary (optional)
TARGETS=(
  "sts_record_fuzzer|checks/txt/testdata/fuzz_seeds|"
  "tlsrpt_record_fuzzer|checks/tls_rpt/testdata/fuzz_seeds|"
  "policy_fuzzer|checks/policy_content/testdata/fuzz_seeds|checks/policy_content/testdata/policy_fuzz.dict"
  "mx_pattern_fuzzer|checks/mx_match/testdata/fuzz_seeds|checks/mx_match/testdata/mx_fuzz.dict"
  "http_response_fuzzer|net/testdata/http_fuzz_seeds|net/testdata/http_fuzz.dict"
  "dane_fuzzer|checks/dnssec/testdata/fuzz_seeds|"
  "smtp_reply_fuzzer|net/testdata/smtp_fuzz_seeds|"
  "dns_stream_wire_fuzzer|net/testdata/dns_stream_fuzz_seeds|"
  "json_fuzzer|clients/cli/testdata/json_fuzz_seeds|"
)

# The corpus copies go with the work directory; reproducers outlive it.
work=$(mktemp -d)
artifacts="${FUZZ_ARTIFACTS:-$(mktemp -d "${TMPDIR:-/tmp}/fuzz-artifacts.XXXXXX")}"
mkdir -p "$artifacts"
artifacts=$(realpath "$artifacts")
# rmdir leaves a directory that holds anything (a reproducer, a log).
trap 'rm -rf "$work"; rmdir "$artifacts" 2>/dev/null || true' EXIT
failed=0
for entry in "${TARGETS[@]}"; do
  IFS='|' read -r name corpus dict <<<"$entry"
  mkdir -p "$work/$name"
  cp -r "$corpus"/. "$work/$name/"
  args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10
        -artifact_prefix="$artifacts/$name-")
  [[ -n "$dict" ]] && args+=(-dict="$dict")
  if "bazel-fuzz/$name" "${args[@]}" "$work/$name" >"$work/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -1))"
  else
    echo "fuzz $name: FAILED" >&2
    tail -n 60 "$work/$name.log" >&2
    cp "$work/$name.log" "$artifacts/$name.log"
    echo "fuzz $name: log kept: $artifacts/$name.log" >&2
    shopt -s nullglob
    repros=("$artifacts/$name-"*)
    shopt -u nullglob
    if ((${#repros[@]} == 0)); then
      echo "fuzz $name: no reproducer written (see the log)" >&2
    fi
    for repro in "${repros[@]}"; do
      echo "fuzz $name: reproducer kept: $repro" >&2
      echo "fuzz $name: replay with: bazel-fuzz/$name $repro" >&2
    done
    failed=1
  fi
done
exit "$failed"
