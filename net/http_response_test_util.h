// Helpers the http_response_*_test files share: short names for the
// parser's State and Error, a one-string description of everything a parser
// exposes (to compare parsers fed the same bytes differently) and the
// response heads many cases start with.

#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "net/http_response.h"

namespace mtasts::net {

using State = HttpResponseParser::State;
using Error = HttpResponseParser::Error;

inline const char* StateName(State s) {
  switch (s) {
    case State::kNeedMore: return "kNeedMore";
    case State::kComplete: return "kComplete";
    case State::kError: return "kError";
    case State::kBodyTooLarge: return "kBodyTooLarge";
  }
  return "?";
}

// Everything a caller can observe, as one string, so that two parsers fed
// the same bytes differently can be compared in one assertion.
inline std::string Describe(const HttpResponseParser& p) {
  std::vector<std::string> headers;
  for (const HttpHeader& h : p.headers()) {
    headers.push_back(absl::StrCat(h.name, "=", h.value));
  }
  return absl::StrCat(
      "state=", StateName(p.state()), " kind=", static_cast<int>(p.error_kind()),
      " error=", p.error(), " complete=", p.headers_complete(),
      " status=", p.status_code(), " reason=", p.reason(),
      " minor=", p.http_minor_version(), " headers=[",
      absl::StrJoin(headers, "|"), "] framing=", static_cast<int>(p.framing()),
      " cl=", p.content_length().value_or(-1), " interim=",
      p.interim_responses(), " body=", p.body(),
      " received=", p.body_bytes_received(), " excess=", p.excess_bytes(),
      " warnings=[", absl::StrJoin(p.warnings(), "|"), "]");
}

// Feeds `input` whole, then reports EOF when `close` is set.
inline std::string ParseWhole(absl::string_view input, bool close,
                              HttpLimits limits = HttpLimits()) {
  HttpResponseParser p(limits);
  p.Feed(input);
  if (close) p.FinishOnClose();
  return Describe(p);
}

inline const std::string kOk = "HTTP/1.1 200 OK\r\n";
inline const std::string kChunkedHead =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace mtasts::net
