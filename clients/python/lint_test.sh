#!/usr/bin/env bash
# PEP 8 (pycodestyle) over the layer, examples and tests, and mypy --strict
# (pyproject.toml's [tool.mypy]) over the layer and examples, against the
# generated .pyi stubs. Debian's mypy and python3-pycodestyle.
set -euo pipefail

PY=/usr/bin/python3
missing=""
for mod in mypy pycodestyle; do
  "$PY" -s -c "import $mod" 2>/dev/null || missing="$missing $mod"
done
if [[ -n "$missing" ]]; then
  echo "missing prerequisite:$missing (scripts/ensure_deps.sh installs it)" >&2
  ci="${CI:-}"
  if [[ "${ci,,}" == "true" || "$ci" == "1" ]]; then exit 1; fi
  echo "SKIPPED (set CI=true to fail instead)" >&2
  exit 0
fi

cd "${TEST_SRCDIR}/${TEST_WORKSPACE}/clients/python"
"$PY" -s -m pycodestyle mtasts_client examples tests
MYPYPATH=. "$PY" -s -m mypy --config-file pyproject.toml \
  --cache-dir "${TEST_TMPDIR}/mypy" mtasts_client examples
