#!/usr/bin/env bash
# Runs layering_test.py with Debian's Python on the genquery's graph.
set -euo pipefail
exec /usr/bin/python3 "$1" "$2"
