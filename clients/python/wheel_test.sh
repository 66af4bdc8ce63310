#!/usr/bin/env bash
# Installs the wheel built by //clients/python:wheel into a fresh virtual
# environment of Debian's /usr/bin/python3 (grpcio and protobuf come from
# Debian through --system-site-packages, pip too; nothing is downloaded) and checks
# that the layer and every generated module import from the installed copy.
set -euo pipefail

wheel="$1"
venv="${TEST_TMPDIR:-$(mktemp -d)}/venv"
/usr/bin/python3 -m venv --without-pip --system-site-packages "$venv"
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
"$venv/bin/python" -m pip install --quiet --no-deps "$wheel"

cd "$venv"  # away from any source tree
"$venv/bin/python" -s - <<'PY'
import importlib
import os
import sys

import mtasts_client
from mtasts.v1 import service_pb2_grpc

prefix = sys.prefix
for name in ("mtasts_client", "mtasts.v1.config_pb2", "mtasts.v1.findings_pb2",
             "mtasts.v1.report_pb2", "mtasts.v1.service_pb2",
             "mtasts.v1.service_pb2_grpc"):
    module = importlib.import_module(name)
    assert module.__file__.startswith(prefix), (name, module.__file__)
v1 = os.path.dirname(service_pb2_grpc.__file__)
for typed in ("py.typed", "service_pb2.pyi", "report_pb2.pyi"):
    assert os.path.exists(os.path.join(v1, typed)), typed
assert os.path.exists(os.path.join(os.path.dirname(mtasts_client.__file__),
                                   "py.typed"))
stub = service_pb2_grpc.MtaStsCheckerStub
assert mtasts_client.Client and stub
print("wheel OK:", mtasts_client.__file__)
PY
shown=$("$venv/bin/python" -m pip show mtasts-client)
grep -qx 'Requires: grpcio, protobuf' <<<"$shown" || { echo "$shown" >&2; exit 1; }
