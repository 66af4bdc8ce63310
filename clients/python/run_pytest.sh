#!/usr/bin/env bash
# Runs one pytest file of the Python client with Debian's /usr/bin/python3
# (python3-grpcio, python3-protobuf, python3-pytest), whatever python3 is
# first on PATH. The package root is this directory in the runfiles, where
# Bazel puts the generated mtasts/v1 modules beside mtasts_client/.
set -euo pipefail

PY=/usr/bin/python3
source "${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}/tests/fakes/prerequisite.sh"
[[ -x "$PY" ]] || missing "$PY is missing (scripts/ensure_deps.sh installs it)"
for mod in grpc google.protobuf pytest; do
  "$PY" -s -c "import $mod" 2>/dev/null ||
    missing "python3 module $mod is missing (scripts/ensure_deps.sh installs it)"
done

root="${TEST_SRCDIR}/${TEST_WORKSPACE}"
pkg="$root/clients/python"
export MTASTS_TEST_ROOT="$root"
export PYTHONPATH="$pkg"
export PYTHONDONTWRITEBYTECODE=1
# Only the plugins this run asks for, whatever else is installed.
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
cd "$pkg"
exec "$PY" -s -m pytest -p no:cacheprovider -v -rs \
  --junitxml="${XML_OUTPUT_FILE:-/dev/null}" "$@"
