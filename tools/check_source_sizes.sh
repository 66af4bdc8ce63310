#!/usr/bin/env bash
# Fails when a source file grows past the size a reader can hold in mind
# (docs/design.md §10): over MAX_LINES lines (default 800), except the data
# tables listed below, which are long because they list cases, not logic.
# Build files are configuration and not counted. scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
max=${MAX_LINES:-800}
# Test tables: one row per RFC case; code around them stays small.
allowed=(
  checks/policy_content/policy_rfc_cases.cc
)
over=0
while IFS= read -r -d '' f; do
  f=${f#./}
  n=$(wc -l < "$f")
  (( n > max )) || continue
  for a in "${allowed[@]}"; do [[ $f == "$a" ]] && continue 2; done
  echo "too long: $f has $n lines (limit $max); split it along a real seam" >&2
  over=$((over + 1))
done < <(find . \( -name 'bazel-*' -o -name node_modules -o -name third_party -o -name .git \) -prune \
  -o -type f \( -name '*.cc' -o -name '*.h' -o -name '*.py' -o -name '*.sh' -o -name '*.ts' \
  -o -name '*.go' -o -name '*.bzl' \) -print0)
if (( over > 0 )); then
  echo "check_source_sizes: $over file(s) over $max lines" >&2
  exit 1
fi
echo "check_source_sizes: no source file over $max lines"
