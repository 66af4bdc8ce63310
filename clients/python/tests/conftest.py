"""Fixtures: `lab`, the shared client lab (//tests/clientlab:client_lab with
the real mtasts_server), started once per test run."""

from __future__ import annotations

import json
import os
import select
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

_LAB_START_SECONDS = 120


def _runfile(path: str) -> str:
    root = os.environ.get("MTASTS_TEST_ROOT")
    if not root:
        pytest.fail("MTASTS_TEST_ROOT is unset: run through bazel test")
    full = os.path.join(root, path)
    if not os.path.exists(full):
        pytest.fail(f"{path} is not in the runfiles")
    return full


@pytest.fixture(scope="session")
def lab() -> Iterator[dict[str, Any]]:
    """The lab's JSON line: addresses, TLS files and domain names."""
    proc = subprocess.Popen(
        [
            _runfile("tests/clientlab/client_lab"),
            "--server=" + _runfile("server/mtasts_server"),
            "--pki=" +
            os.path.dirname(_runfile("clients/cli/testdata/ca.pem")),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], _LAB_START_SECONDS)
        line = proc.stdout.readline() if ready else b""
        if not line:
            pytest.fail(f"client_lab printed nothing within "
                        f"{_LAB_START_SECONDS} s (exit {proc.poll()})")
        yield json.loads(line)
    finally:
        # Closing stdin stops the lab and the servers it started.
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("client_lab still running 30 s after its stdin closed")
