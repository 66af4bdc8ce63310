#!/usr/bin/env bash
# Runs gofmt, go vet, the examples' build and go test for //clients/go, in
# GOPATH mode over Debian's Go packages, inside Bazel's sandbox.
set -euo pipefail

if ! command -v go >/dev/null || ! command -v gofmt >/dev/null; then
  msg="go is not installed (scripts/ensure_deps.sh installs golang-go)"
  if [[ "${CI:-}" == "true" ]]; then echo "FAIL: $msg" >&2; exit 1; fi
  echo "SKIP: $msg" >&2
  exit 0
fi

R="$TEST_SRCDIR/${TEST_WORKSPACE:-mtasts}"
T="${TEST_TMPDIR:?}"
export HOME="$T/home" GOCACHE="$T/gocache" GOPATH="$T/gopath:/usr/share/gocode"
export GO111MODULE=off GOPROXY=off GOFLAGS= GOENV=off
mkdir -p "$HOME" "$GOCACHE"
# Debian's grpc-go and protobuf-go, already compiled (//clients/go:go_deps_cache).
tar -xf "$R/clients/go/go_deps_cache.tar" -C "$GOCACHE"

# The package tree: sources and generated code, copied (not linked) so that
# ./... sees plain directories.
W="$T/gopath/src/github.com/mtasts/mtasts/clients/go"
mkdir -p "$W"
(cd "$R/clients/go" && find -L . -type f \( -name '*.go' -o -name go.mod \) -print0 |
  xargs -0 cp -L --parents -t "$W")
[[ -f "$W/mtastsv1/service_grpc.pb.go" ]] || { echo "generated code missing" >&2; exit 1; }
cd "$W"

unformatted=$(gofmt -l $(find . -name '*.go' -not -path './mtastsv1/*'))
if [[ -n "$unformatted" ]]; then
  echo "FAIL: not gofmt-formatted (run gofmt -w): $unformatted" >&2
  exit 1
fi
go vet ./...
go build -o "$T/bin/" ./examples/...

export MTASTS_CLIENT_LAB="$R/tests/clientlab/client_lab"
export MTASTS_SERVER="$R/server/mtasts_server"
export MTASTS_PKI="$R/clients/cli/testdata"
export MTASTS_EXAMPLES="$T/bin"
# -vet=off: go vet ran above with every analyzer.
go test -count=1 -v -vet=off -timeout 600s ./...
