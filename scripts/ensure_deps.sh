#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need, if any is
# missing. Idempotent and quick when everything is there (one dpkg query).
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  g++ protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libabsl-dev libc-ares-dev libssl-dev libidn2-dev libunbound-dev liburiparser-dev libnghttp2-dev
  libgoogle-perftools-dev  # tcmalloc: the server's malloc
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3-grpcio python3-protobuf
  python3-pytest python3-pip python3-setuptools python3-wheel python3-venv mypy python3-pycodestyle  # clients/python tests, wheel, lint
  nsd ldnsutils dns-root-data
  unbound nginx-light libnginx-mod-http-echo postfix openssl iproute2
  postfix-mta-sts-resolver
  # Go client (clients/go): Go 1.19, protoc plugins, grpc-go and protobuf-go;
  # protobuf 1-5 (not 1-3) so grpc-go's codec handles protobuf-go APIv2 messages.
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  # metrics: Prometheus client library (server) and prometheus/promtool (tests)
  prometheus-cpp-dev prometheus
  python3-cryptography  # bench/fleet: the lab's per-domain certificates in one process
)
# Node and npm for the TypeScript client (clients/ts), unless a node with npm
# is already installed (a nodesource nodejs bundles npm and conflicts with
# Debian's npm package).
command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)
# kubectl renders the Kubernetes manifests (`kubectl kustomize`,
# //deploy/kubernetes:manifests_test); Debian's kubernetes-client unless a
# kubectl is already installed.
command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)

# npm packages exactly as each package-lock.json pins them, into that
# directory's node_modules: the TypeScript client (clients/ts) and the
# manifests' validator (deploy/kubernetes/test). Skipped when the lock file is
# already installed (a stamp holds its hash), so later runs need no network.
ensure_npm() {
  local root dir lock
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  for dir in "$root/clients/ts" "$root/deploy/kubernetes/test"; do
    lock=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    [[ "$(cat "$dir/node_modules/.mtasts-lock-sha256" 2>/dev/null)" == "$lock" ]] && continue
    echo "Installing npm packages of ${dir#"$root"/} (npm ci)" >&2
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund </dev/null)
    echo "$lock" >"$dir/node_modules/.mtasts-lock-sha256"
  done
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && { ensure_npm; exit 0; }

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
ensure_npm
