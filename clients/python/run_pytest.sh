#!/usr/bin/env bash
# Runs one pytest file of the Python client with Debian's /usr/bin/python3
# (python3-grpcio, python3-protobuf, python3-pytest), whatever python3 is
# first on PATH. The package root is this directory in the runfiles, where
# Bazel puts the generated mtasts/v1 modules beside mtasts_client/.
set -euo pipefail

PY=/usr/bin/python3
missing=""
[[ -x "$PY" ]] || missing="$PY"
if [[ -z "$missing" ]]; then
  for mod in grpc google.protobuf pytest; do
    "$PY" -s -c "import $mod" 2>/dev/null || missing="$missing $mod"
  done
fi
if [[ -n "$missing" ]]; then
  echo "missing prerequisite: $missing (scripts/ensure_deps.sh installs it)" >&2
  ci="${CI:-}"
  if [[ "${ci,,}" == "true" || "$ci" == "1" ]]; then exit 1; fi
  echo "SKIPPED (set CI=true to fail instead)" >&2
  exit 0
fi

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
