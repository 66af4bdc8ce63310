#!/usr/bin/env bash
# mtasts.v1 as built from proto/ against the golden copy: exit 1 (and the
# list of breaking changes) when anything was removed or changed.
set -euo pipefail
exec "$1" check "$2" "$3"
