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

bazel build //proto/mtasts/v1:mtasts_cc_proto
GEN=bazel-bin/proto/mtasts/v1
mkdir -p "$OUT/obj"
read -r -a LIBS <<<"$(pkg-config --libs absl_strings absl_str_format absl_flat_hash_map absl_flat_hash_set protobuf)"

# Generated code and libraries: no fuzzer instrumentation, ASan only.
for pb in findings report; do
  "$CXX" "${CXXFLAGS[@]}" -fsanitize=address -c "$GEN/$pb.pb.cc" -o "$OUT/obj/$pb.pb.o"
done
# Our code: coverage-instrumented.
for src in checks/findings_table.cc checks/txt_lookup.cc checks/txt/sts_record.cc \
    checks/tls_rpt/tlsrpt_record.cc checks/policy_content/policy.cc \
    checks/mx_match/mx_pattern.cc; do
  "$CXX" "${CXXFLAGS[@]}" $SANITIZE -c "$src" -o "$OUT/obj/$(basename "$src" .cc).o"
done

link() {  # name, fuzzer source, judge object
  "$CXX" "${CXXFLAGS[@]}" $SANITIZE "$2" "$OUT/obj/$3.o" "$OUT/obj/txt_lookup.o" \
    "$OUT/obj/findings_table.o" "$OUT/obj/findings.pb.o" "$OUT/obj/report.pb.o" \
    "${LIBS[@]}" -o "$OUT/$1"
  echo "built $OUT/$1"
}
link sts_record_fuzzer checks/txt/sts_record_fuzzer.cc sts_record
link tlsrpt_record_fuzzer checks/tls_rpt/tlsrpt_record_fuzzer.cc tlsrpt_record

# The policy parser (which checks mx values with the pattern code) and the
# MX pattern matcher and judge.
link_judge() {  # name, fuzzer source, judge objects...
  local name=$1 src=$2
  shift 2
  local objs=()
  for o in "$@"; do objs+=("$OUT/obj/$o.o"); done
  "$CXX" "${CXXFLAGS[@]}" $SANITIZE "$src" "${objs[@]}" \
    "$OUT/obj/findings_table.o" "$OUT/obj/findings.pb.o" "$OUT/obj/report.pb.o" \
    "${LIBS[@]}" -o "$OUT/$name"
  echo "built $OUT/$name"
}
link_judge policy_fuzzer checks/policy_content/policy_fuzzer.cc policy mx_pattern
link_judge mx_pattern_fuzzer checks/mx_match/mx_pattern_fuzzer.cc mx_pattern

# The HTTP response parser: Abseil only, no protos.
"$CXX" "${CXXFLAGS[@]}" $SANITIZE -c net/http_response.cc -o "$OUT/obj/http_response.o"
read -r -a HTTP_LIBS <<<"$(pkg-config --libs absl_strings absl_status absl_statusor)"
"$CXX" "${CXXFLAGS[@]}" $SANITIZE net/http_response_fuzzer.cc "$OUT/obj/http_response.o" \
  "${HTTP_LIBS[@]}" -o "$OUT/http_response_fuzzer"
echo "built $OUT/http_response_fuzzer"

# The SMTP reply parser (the MX STARTTLS probe's): Abseil only.
"$CXX" "${CXXFLAGS[@]}" $SANITIZE -c net/smtp_reply.cc -o "$OUT/obj/smtp_reply.o"
"$CXX" "${CXXFLAGS[@]}" $SANITIZE net/smtp_reply_fuzzer.cc "$OUT/obj/smtp_reply.o" \
  "${HTTP_LIBS[@]}" -o "$OUT/smtp_reply_fuzzer"
echo "built $OUT/smtp_reply_fuzzer"

# TLSA parsing and DANE matching, and the DNSSEC judge (OpenSSL for digests).
for src in checks/dnssec/dane.cc checks/dnssec/dnssec_judge.cc; do
  "$CXX" "${CXXFLAGS[@]}" $SANITIZE -c "$src" -o "$OUT/obj/$(basename "$src" .cc).o"
done
LIBS+=("${HTTP_LIBS[@]}" -lcrypto)
link_judge dane_fuzzer checks/dnssec/dane_fuzzer.cc dane dnssec_judge
