#!/usr/bin/env bash
# Builds the server's container image without any registry: a Debian 12
# (bookworm) minbase root file system from the Debian mirror apt is already
# configured with (mmdebstrap), with the runtime libraries the server links,
# CA roots, the DNSSEC root key and tini; imported with `podman import`, then
# the Bazel-built binaries on top (deploy/image/Containerfile).
#
#   sudo scripts/image.sh            # -> localhost/mtasts-server:latest
#   scripts/image.sh --print-name    # the image name, for tests and manifests
#
# Needs root (mmdebstrap, podman) and network to the Debian mirror only.
# Installs podman, mmdebstrap and runc when missing and the podman settings
# this kind of machine needs (deploy/image/containers.conf). The root file
# system is cached as a local image keyed by its inputs, so rebuilding after a
# code change only copies the binaries.
set -euo pipefail

# The name deploy/kubernetes uses (its test compares them).
IMAGE_NAME=mtasts-server
IMAGE_TAG=latest
if [[ ${1:-} == --print-name ]]; then
  echo "$IMAGE_NAME:$IMAGE_TAG"
  exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--print-name]" >&2; exit 2; }

cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "image.sh: needs root (mmdebstrap, podman)" >&2; exit 1; }

# Runtime packages: what `ldd mtasts_server` resolves to (apt adds their
# dependencies), the trust store for the checks' TLS, the DNSSEC trust anchor
# (/usr/share/dns/root.key) and tini as PID 1.
RUNTIME_PACKAGES=(
  libgrpc++1.51 libprotobuf32 libabsl20220623 libssl3 libc-ares2 libunbound8
  libidn2-0 liburiparser1 libnghttp2-14 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0
  libtcmalloc-minimal4
  ca-certificates dns-root-data tini
)
UID_GID=10001

host_packages=()
for cmd_pkg in podman:podman mmdebstrap:mmdebstrap runc:runc; do
  command -v "${cmd_pkg%%:*}" >/dev/null || host_packages+=("${cmd_pkg#*:}")
done
if [[ ${#host_packages[@]} -gt 0 ]]; then
  echo "image.sh: installing ${host_packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
    "${host_packages[@]}" </dev/null
fi
# A drop-in, so an operator's own containers.conf stays as it is.
conf=/etc/containers/containers.conf.d/50-mtasts.conf
if ! cmp -s deploy/image/containers.conf "$conf"; then
  mkdir -p "$(dirname "$conf")"
  cp deploy/image/containers.conf "$conf"
fi

# apt's own Debian sources (bookworm, -updates, -security; main), so the
# image gets the same mirror and the same security updates as the host.
mapfile -t sources < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
  'Origin: Debian' 'Created-By: Packages' | awk '
    $2 ~ /^bookworm(-updates|-security)?$/ && $3 == "main" && !seen[$1 " " $2]++ {
      print "deb " $1 " " $2 " main" }')
[[ ${#sources[@]} -gt 0 ]] || {
  echo "image.sh: apt has no Debian bookworm main source (run apt-get update?)" >&2
  exit 1
}

start=$(date +%s)
# The Containerfile COPYs these; -c opt as in the benchmark.
bazel build -c opt //server:mtasts_server //server:mtasts_health_probe //clients/cli:mtasts

# The root file system, rebuilt only when its inputs change.
rootfs_key=$(printf '%s\n' "${RUNTIME_PACKAGES[@]}" "${sources[@]}" "$UID_GID" \
  "$(sha256sum scripts/image.sh | cut -d' ' -f1)" | sha256sum | cut -c1-16)
base="localhost/mtasts-rootfs:$rootfs_key"
work=$(mktemp -d /var/tmp/mtasts-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! podman image exists "$base"; then
  echo "image.sh: mmdebstrap bookworm minbase from: ${sources[*]}" >&2
  packages=$(IFS=,; echo "${RUNTIME_PACKAGES[*]}")
  mmdebstrap --variant=minbase --mode=root --format=tar --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook="chroot \"\$1\" groupadd --system --gid $UID_GID mtasts" \
    --customize-hook="chroot \"\$1\" useradd --system --uid $UID_GID --gid $UID_GID \
--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mtasts" \
    bookworm "$work/rootfs.tar" "${sources[@]}"
  podman import --quiet "$work/rootfs.tar" "$base" >/dev/null
  rm -f "$work/rootfs.tar"
fi

mkdir "$work/context"
cp bazel-bin/server/mtasts_server bazel-bin/server/mtasts_health_probe \
  bazel-bin/clients/cli/mtasts deploy/image/Containerfile "$work/context/"
chmod 755 "$work/context/"mtasts*
# Docker format keeps HEALTHCHECK (OCI image config has no such field).
podman build --quiet --pull=never --format docker --build-arg "BASE=$base" \
  --label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --tag "localhost/$IMAGE_NAME:$IMAGE_TAG" "$work/context" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "localhost/$IMAGE_NAME:$IMAGE_TAG")
echo "image.sh: built localhost/$IMAGE_NAME:$IMAGE_TAG ($((size / 1024 / 1024)) MiB) in $(($(date +%s) - start)) s" >&2
