#!/usr/bin/env bash
# Usage: go_deps_cache.sh OUT.tar
# Compiles (and computes go vet facts for) the Debian Go packages the client
# imports, and packs the Go build cache into OUT.tar. go_test.sh starts from
# it, so a test run compiles only this module. Go's cache is keyed by the
# sources' contents, so an entry that no longer matches (e.g. after a Debian
# upgrade) is simply not used.
set -euo pipefail
out="$PWD/$1"
command -v go >/dev/null || { echo "go is not installed (scripts/ensure_deps.sh)" >&2; exit 1; }
t=$(mktemp -d)
trap 'chmod -R u+w "$t"; rm -rf "$t"' EXIT
export HOME="$t/home" GOCACHE="$t/cache" GOPATH="$t/gopath:/usr/share/gocode"
export GO111MODULE=off GOPROXY=off GOFLAGS= GOENV=off
mkdir -p "$HOME" "$t/gopath/src/deps"
# What the client, its generated code and its tests import from outside std.
cat >"$t/gopath/src/deps/deps.go" <<'GO'
package deps

import (
	_ "google.golang.org/grpc"
	_ "google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/peer"
	_ "google.golang.org/grpc/resolver"
	_ "google.golang.org/grpc/status"
	_ "google.golang.org/protobuf/reflect/protoreflect"
	_ "google.golang.org/protobuf/runtime/protoimpl"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
)
GO
cd "$t/gopath/src/deps"
go build ./...
go vet ./...
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$GOCACHE" -cf "$out" .
