// Caller-supplied text made safe to echo or log: valid UTF-8 and bounded, so
// one request cannot make a multi-megabyte event or log line, and a reply
// never holds a string that the client's proto parser would reject.
#ifndef MTASTS_SERVER_BOUNDED_TEXT_H_
#define MTASTS_SERVER_BOUNDED_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace mtasts::server {

// How much of a caller's domain an event or a log line echoes.
inline constexpr size_t kMaxEchoOctets = 255;

struct BoundedText {
  std::string text;   // valid UTF-8, at most the bound
  bool cut = false;   // the input did not fit: `text` is a prefix of it
};

// Whether `input` is valid UTF-8 (RFC 3629). Pure.
bool IsValidUtf8(absl::string_view input);

// `input` as valid UTF-8 of at most `max_octets` bytes: each invalid byte
// becomes U+FFFD, and the text is cut on a character boundary. Pure.
BoundedText BoundText(absl::string_view input, size_t max_octets);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_BOUNDED_TEXT_H_
