#!/usr/bin/env bash
# Runs every libFuzzer target for a short, bounded time on its seed corpus
# (kept in the repository), as part of the test suite. A crash, leak or
# sanitizer report fails the run and leaves the reproducer in the log.
#
#   tools/fuzz_smoke.sh            # FUZZ_SECONDS per target, default 10
#   FUZZ_SECONDS=300 tools/fuzz_smoke.sh
#
# The corpus is copied to a temporary directory first, so new inputs the
# fuzzer finds never dirty the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-10}"

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
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for entry in "${TARGETS[@]}"; do
  IFS='|' read -r name corpus dict <<<"$entry"
  mkdir -p "$work/$name"
  cp -r "$corpus"/. "$work/$name/"
  args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10
        -artifact_prefix="$work/$name-")
  [[ -n "$dict" ]] && args+=(-dict="$dict")
  if "bazel-fuzz/$name" "${args[@]}" "$work/$name" >"$work/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -1))"
  else
    echo "fuzz $name: FAILED" >&2
    tail -n 60 "$work/$name.log" >&2
    failed=1
  fi
done
exit "$failed"
