#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need, if any is
# missing. Idempotent and quick when everything is there (one dpkg query).
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  g++ protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libc-ares-dev libssl-dev libidn2-dev libunbound-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3-grpcio python3-protobuf
  nsd ldnsutils dns-root-data
  unbound nginx-light libnginx-mod-http-echo postfix openssl iproute2
  postfix-mta-sts-resolver
  python3-cryptography  # bench/fleet: the lab's per-domain certificates in one process
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing missing Debian packages: ${missing[*]}" >&2
SUDO=()
[[ $(id -u) -eq 0 ]] || SUDO=(sudo)
# Keep any daemon a package ships from starting on the host.
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q </dev/null
# nsd, unbound, nginx, postfix (DNSSEC and e2e labs) would start as host
# services: policy-rc.d exiting 101 stops that for this install; labs start
# their own instances.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
  # Removed however the install ends, so the host's services start normally later.
  trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Postfix (e2e lab) without a host configuration: the lab writes its own.
echo "postfix postfix/main_mailer_type select No configuration" |
  "${SUDO[@]}" debconf-set-selections
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
