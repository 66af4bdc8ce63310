#include "net/https_types.h"

#include "absl/strings/match.h"

namespace mtasts::net {

absl::string_view HttpFailureName(HttpFailure failure) {
  switch (failure) {
    case HttpFailure::kNone: return "none";
    case HttpFailure::kMalformed: return "http_malformed";
    case HttpFailure::kHeadersTooLarge: return "http_headers_too_large";
    case HttpFailure::kBodyTooLarge: return "http_body_too_large";
    case HttpFailure::kTruncated: return "http_truncated";
  }
  return "unknown";
}

absl::string_view HttpsResult::FailureName() const {
  return http_failure != HttpFailure::kNone ? HttpFailureName(http_failure)
                                            : NetFailureName(error.failure);
}

std::optional<std::string> HttpsResult::Header(absl::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

}  // namespace mtasts::net
