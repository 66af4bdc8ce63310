#!/usr/bin/env bash
# PEP 8 (pycodestyle) over the layer, examples and tests, and mypy --strict
# (pyproject.toml's [tool.mypy]) over the layer and examples, against the
# generated .pyi stubs. Debian's mypy and python3-pycodestyle.
set -euo pipefail

PY=/usr/bin/python3
source "${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}/tests/fakes/prerequisite.sh"
for mod in mypy pycodestyle; do
  "$PY" -s -c "import $mod" 2>/dev/null ||
    missing "python3 module $mod is missing (scripts/ensure_deps.sh installs it)"
done

cd "${TEST_SRCDIR}/${TEST_WORKSPACE}/clients/python"
"$PY" -s -m pycodestyle mtasts_client examples tests
MYPYPATH=. "$PY" -s -m mypy --config-file pyproject.toml \
  --cache-dir "${TEST_TMPDIR}/mypy" mtasts_client examples
