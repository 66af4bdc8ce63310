module github.com/mtasts/mtasts/clients/go

go 1.19

// The versions Debian 12 ships (golang-google-grpc-dev, golang-google-protobuf-dev),
// which the Bazel build compiles against in GOPATH mode.
require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
