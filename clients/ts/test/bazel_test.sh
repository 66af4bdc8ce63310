#!/usr/bin/env bash
# //clients/ts:ts_client_test: builds the TypeScript client in a scratch copy
# (types generated from the runfiles' proto/mtasts/v1, then tsc, strict) and
# runs its tests with Node's own runner: test/unit.test.ts against an
# in-process fake, test/lab.test.ts against the real server (client_lab).
set -euo pipefail

root="${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}"

# A missing prerequisite skips on a developer's machine and fails under CI.
source "$root/tests/fakes/prerequisite.sh"
command -v node >/dev/null || missing "node is not installed (scripts/ensure_deps.sh installs it)"
major=$(node -p 'process.versions.node.split(".")[0]')
((major >= 18)) || missing "node $(node --version) is older than 18"
[[ -f "$root/clients/ts/node_modules/@grpc/grpc-js/package.json" ]] ||
  missing "clients/ts/node_modules is not installed (scripts/ensure_deps.sh runs npm ci)"

# The package as it would be checked out, next to the API it is built from.
work="$TEST_TMPDIR/repo"
rm -rf "$work"
mkdir -p "$work/clients/ts" "$work/proto/mtasts/v1"
for item in package.json package-lock.json tsconfig.json scripts src examples test; do
  cp -RL "$root/clients/ts/$item" "$work/clients/ts/"
done
cp -L "$root"/proto/mtasts/v1/*.proto "$work/proto/mtasts/v1/"
ln -s "$root/clients/ts/node_modules" "$work/clients/ts/node_modules"

cd "$work/clients/ts"
echo "node $(node --version)"
node scripts/build.mjs

export MTASTS_CLIENT_LAB="$root/tests/clientlab/client_lab"
export MTASTS_SERVER="$root/server/mtasts_server"
export MTASTS_PKI="$root/clients/cli/testdata"
exec node --test dist/test/unit.test.js dist/test/lab.test.js
