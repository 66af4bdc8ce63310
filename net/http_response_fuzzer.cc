// Fuzz target for HttpResponseParser and ParseContentType: the input is the
// raw bytes a server sends back. Beyond not crashing, it checks that
//  - the result does not depend on how the bytes are split into reads:
//    whole, at split points derived from the input, and byte by byte all
//    give the same state, head, body, error and warnings (with default and
//    with tiny limits, so the limit paths run on small inputs);
//  - every state is well formed: errors only with a message, a complete
//    response has a final status and exactly its declared body, limits hold,
//    fields are clean tokens and trimmed values, FinishOnClose always ends
//    in a final state;
//  - ParseContentType on every Content-Type value yields a lower-case
//    type/subtype and charset.
//
// In `bazel test` this file is linked with //tools:fuzz_driver, which runs
// the seeds in testdata/http_fuzz_seeds and deterministic mutations of them.
// The real coverage-guided fuzzer is built with clang outside Bazel:
//   tools/build_fuzzers.sh            # builds bazel-fuzz/http_response_fuzzer
//   bazel-fuzz/http_response_fuzzer -max_total_time=60
//       -dict=net/testdata/http_fuzz.dict net/testdata/http_fuzz_seeds
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/http_response.h"

namespace {

using mtasts::net::ContentType;
using mtasts::net::HttpHeader;
using mtasts::net::HttpLimits;
using mtasts::net::HttpResponseParser;
using State = HttpResponseParser::State;
using Error = HttpResponseParser::Error;
using Framing = HttpResponseParser::Framing;

void Require(bool condition) {
  if (!condition) std::abort();
}

// Everything observable. A close-delimited body over the limit is the one
// result that depends on read sizes (how much had arrived when it was
// noticed), so that count and its message are left out there.
std::string Snapshot(const HttpResponseParser& p) {
  const bool read_dependent = p.state() == State::kBodyTooLarge &&
                              p.framing() == Framing::kUntilClose;
  std::string out = absl::StrCat(
      static_cast<int>(p.state()), "|", static_cast<int>(p.error_kind()), "|",
      read_dependent ? "" : p.error(), "|", p.headers_complete(), "|",
      p.status_code(), "|", p.reason(), "|", p.http_minor_version(), "|",
      static_cast<int>(p.framing()), "|", p.content_length().value_or(0), "|",
      p.content_length().has_value(), "|", p.interim_responses(), "|",
      p.body(), "|", read_dependent ? 0 : p.body_bytes_received(), "|",
      p.excess_bytes(), "|");
  for (const HttpHeader& h : p.headers()) {
    absl::StrAppend(&out, h.name, ":", h.value, "\n");
  }
  for (const std::string& w : p.warnings()) absl::StrAppend(&out, w, "\n");
  return out;
}

bool IsTchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

void CheckContentType(absl::string_view value) {
  absl::StatusOr<ContentType> ct = mtasts::net::ParseContentType(value);
  if (!ct.ok()) {
    Require(!ct.status().message().empty());
    return;
  }
  const size_t slash = ct->media_type.find('/');
  Require(slash != std::string::npos && slash > 0 &&
          slash + 1 < ct->media_type.size());
  Require(ct->media_type.find('/', slash + 1) == std::string::npos);
  Require(ct->media_type == absl::AsciiStrToLower(ct->media_type));
  if (ct->charset) {
    Require(*ct->charset == absl::AsciiStrToLower(*ct->charset));
  }
  for (const auto& [name, param] : ct->parameters) {
    Require(!name.empty() && name == absl::AsciiStrToLower(name));
  }
}

void CheckWellFormed(const HttpResponseParser& p, const HttpLimits& limits,
                     bool closed) {
  Require(p.body().size() <= limits.max_body_bytes);
  Require(p.body().size() <= p.body_bytes_received());
  Require(p.error().size() < 512);  // quotes of remote bytes are bounded
  switch (p.state()) {
    case State::kNeedMore:
      Require(!closed);
      Require(p.error().empty() && p.error_kind() == Error::kNone);
      Require(p.excess_bytes() == 0);
      break;
    case State::kComplete:
      Require(p.error().empty() && p.error_kind() == Error::kNone);
      Require(p.headers_complete() && p.framing() != Framing::kUnknown);
      Require(p.body().size() == p.body_bytes_received());
      if (p.framing() == Framing::kContentLength) {
        Require(p.content_length().has_value() &&
                p.body().size() == *p.content_length());
      }
      if (p.framing() == Framing::kNoBody) Require(p.body().empty());
      if (p.framing() == Framing::kUntilClose) Require(closed);
      break;
    case State::kError:
      Require(!p.error().empty());
      Require(p.error_kind() == Error::kMalformed ||
              p.error_kind() == Error::kHeadersTooLarge ||
              p.error_kind() == Error::kTruncated);
      if (p.error_kind() == Error::kTruncated) Require(closed);
      break;
    case State::kBodyTooLarge:
      Require(p.error_kind() == Error::kBodyTooLarge);
      Require(absl::StartsWith(
          p.error(), absl::StrCat("body exceeds ", limits.max_body_bytes,
                                  " bytes (")));
      Require(p.headers_complete());
      break;
  }
  if (p.headers_complete()) {
    Require(p.status_code() >= 200 && p.status_code() <= 599);
    Require(p.http_minor_version() == 0 || p.http_minor_version() == 1);
  }
  for (const HttpHeader& h : p.headers()) {
    Require(!h.name.empty());
    for (char c : h.name) Require(IsTchar(c));
    for (char c : h.value) Require(c != '\r' && c != '\n' && c != '\0');
    if (!h.value.empty()) {
      Require(h.value.front() != ' ' && h.value.front() != '\t');
      Require(h.value.back() != ' ' && h.value.back() != '\t');
    }
  }
}

// Runs one way of reading `input`; returns the snapshot after EOF, checking
// the state before EOF as well.
std::string Run(absl::string_view input, const HttpLimits& limits,
                const std::vector<size_t>& pieces) {
  HttpResponseParser p(limits);
  size_t at = 0;
  for (size_t n : pieces) {
    if (at >= input.size()) break;
    p.Feed(input.substr(at, n));
    at += std::min(n, input.size() - at);
  }
  p.Feed(input.substr(at));
  CheckWellFormed(p, limits, /*closed=*/false);
  p.FinishOnClose();
  CheckWellFormed(p, limits, /*closed=*/true);
  Require(p.state() != State::kNeedMore);
  if (p.headers_complete()) {
    for (absl::string_view value : p.HeaderValues("content-type")) {
      CheckContentType(value);
    }
  }
  return Snapshot(p);
}

void CheckSplitsAgree(absl::string_view input, const HttpLimits& limits) {
  const std::string whole = Run(input, limits, {});
  // Piece sizes from a small LCG seeded by the input: varied, reproducible.
  uint32_t seed = static_cast<uint32_t>(input.size()) * 2654435761u;
  for (size_t i = 0; i < input.size() && i < 8; ++i) {
    seed = seed * 31 + static_cast<unsigned char>(input[i]);
  }
  std::vector<size_t> pieces;
  for (size_t total = 0; total < input.size();) {
    seed = seed * 1103515245u + 12345u;
    const size_t n = 1 + (seed >> 16) % 97;
    pieces.push_back(n);
    total += n;
  }
  Require(Run(input, limits, pieces) == whole);
  if (input.size() <= 2048) {
    Require(Run(input, limits, std::vector<size_t>(input.size(), 1)) == whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  CheckSplitsAgree(input, HttpLimits());
  HttpLimits tiny;
  tiny.max_header_bytes = 96;
  tiny.max_body_bytes = 24;
  CheckSplitsAgree(input, tiny);
  // The parser of a field value also sees raw input.
  CheckContentType(input.substr(0, 256));
  return 0;
}
