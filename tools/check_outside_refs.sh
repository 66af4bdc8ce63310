#!/usr/bin/env bash
# Fails when a tracked file points at a document outside the repository
# (the design lives in docs/design.md). scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
git rev-parse --git-dir > /dev/null 2>&1 || {
  echo "check_outside_refs: needs a git checkout (it reads tracked files)" >&2; exit 1; }
pattern='DESIGN\.md|\.\./shared/|LAB-NOTES|STYLE\.md'
if hits=$(git grep -nE "$pattern" -- . ':!tools/check_outside_refs.sh'); then
  echo "$hits" >&2
  echo "check_outside_refs: the lines above point outside the repository" >&2
  exit 1
fi
echo "check_outside_refs: no reference to a document outside the repository"
