#!/usr/bin/env bash
# Builds the coverage-guided libFuzzer binaries of the TXT record judges, the
# policy parser, the MX pattern matcher and the HTTP response parser with
# clang, outside Bazel (the Bazel toolchain here is gcc, which has no
# -fsanitize=fuzzer). In `bazel test` the same fuzz targets run as plain
# tests through //tools:fuzz_driver instead.
#
#   tools/build_fuzzers.sh                 # -> bazel-fuzz/<name>
#   bazel-fuzz/sts_record_fuzzer -max_total_time=60 checks/txt/testdata/fuzz_seeds
#   bazel-fuzz/tlsrpt_record_fuzzer -max_total_time=60 checks/tls_rpt/testdata/fuzz_seeds
#   bazel-fuzz/policy_fuzzer -max_total_time=60 \
#       -dict=checks/policy_content/testdata/policy_fuzz.dict checks/policy_content/testdata/fuzz_seeds
#   bazel-fuzz/mx_pattern_fuzzer -max_total_time=60 \
#       -dict=checks/mx_match/testdata/mx_fuzz.dict checks/mx_match/testdata/fuzz_seeds
#   bazel-fuzz/http_response_fuzzer -max_total_time=60 \
#       -dict=net/testdata/http_fuzz.dict net/testdata/http_fuzz_seeds
#   bazel-fuzz/smtp_reply_fuzzer -max_total_time=60 net/testdata/smtp_fuzz_seeds
#   bazel-fuzz/dns_stream_wire_fuzzer -max_total_time=60 net/testdata/dns_stream_fuzz_seeds
#   bazel-fuzz/json_fuzzer -max_total_time=60 clients/cli/testdata/json_fuzz_seeds
#
# Needs clang and libclang-rt-14-dev (libFuzzer, ASan, UBSan) from Debian.
# The generated protobuf sources come from a normal Bazel build. Libraries
# (protobuf, Abseil) are Debian's, not instrumented: only our code is.
set -euo pipefail
cd "$(dirname "$0")/.."

CXX="${CXX:-clang++}"
OUT=bazel-fuzz
SANITIZE="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CXXFLAGS=(-std=c++17 -g -O1 -fno-omit-frame-pointer -I. -Ibazel-bin/proto)

# Each fuzz target and its Bazel test target: the sources to compile are
# read from Bazel's dependency graph, so moving code between files never
# breaks this script.
FUZZERS=(
  sts_record_fuzzer://checks/txt:sts_record_fuzzer
  tlsrpt_record_fuzzer://checks/tls_rpt:tlsrpt_record_fuzzer
  policy_fuzzer://checks/policy_content:policy_fuzzer
  mx_pattern_fuzzer://checks/mx_match:mx_pattern_fuzzer
  http_response_fuzzer://net:http_response_fuzzer
  smtp_reply_fuzzer://net:smtp_reply_fuzzer
  dns_stream_wire_fuzzer://net:dns_stream_wire_fuzzer
  dane_fuzzer://checks/dnssec:dane_fuzzer
  json_fuzzer://clients/cli:json_fuzzer
)

bazel build //proto/mtasts/v1:mtasts_cc_proto
GEN=bazel-bin/proto/mtasts/v1
mkdir -p "$OUT/obj"
read -r -a LIBS <<<"$(pkg-config --libs absl_strings absl_str_format absl_flat_hash_map \
  absl_flat_hash_set absl_status absl_statusor absl_time absl_synchronization protobuf)"
LIBS+=(-lcrypto -luriparser)

# Generated code: no fuzzer instrumentation, ASan only.
PB_OBJS=()
for pb in "$GEN"/*.pb.cc; do
  [[ $pb == *.grpc.pb.cc ]] && continue  # the service stubs: no parser uses them
  obj="$OUT/obj/$(basename "$pb" .cc).o"
  "$CXX" "${CXXFLAGS[@]}" -fsanitize=address -c "$pb" -o "$obj"
  PB_OBJS+=("$obj")
done

# Our code: coverage-instrumented, each file compiled once.
# An object is stale when any file it was compiled from (the source and every
# non-system header, from the compiler's -MMD list) is newer or gone: a
# changed header (a regenerated .pb.h) changes object layouts, and linking a
# stale object against it corrupts memory.
stale() {  # object, its dependency file
  [[ -f "$1" && -f "$2" ]] || return 0
  local f
  for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$2"); do
    [[ -e "$f" && ! "$f" -nt "$1" ]] || return 0
  done
  return 1
}
object_of() {  # source path -> object path, compiling it if needed
  local obj="$OUT/obj/${1//\//_}.o"
  if stale "$obj" "${obj%.o}.d"; then
    "$CXX" "${CXXFLAGS[@]}" $SANITIZE -MMD -MF "${obj%.o}.d" -c "$1" -o "$obj"
  fi
  echo "$obj"
}

for entry in "${FUZZERS[@]}"; do
  name=${entry%%:*}
  target=${entry#*:}
  # The target's own .cc files in this repository, without the plain-test
  # driver (libFuzzer brings its own main).
  mapfile -t srcs < <(bazel query --noshow_progress \
    "kind('source file', deps($target)) except deps(//tools:fuzz_driver)" 2>/dev/null |
    grep -E '^//[^:]*:.*\.cc$' | sed -E 's#^//##; s#:#/#; s#^/##')
  objs=()
  for src in "${srcs[@]}"; do objs+=("$(object_of "$src")"); done
  "$CXX" "${CXXFLAGS[@]}" $SANITIZE "${objs[@]}" "${PB_OBJS[@]}" "${LIBS[@]}" -o "$OUT/$name"
  echo "built $OUT/$name (${#srcs[@]} sources)"
done
