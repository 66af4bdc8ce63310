#include "server/bounded_text.h"

#include <algorithm>

namespace mtasts::server {
namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms,
// surrogates or code points beyond U+10FFFF), or 0.
size_t SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

bool IsValidUtf8(absl::string_view input) {
  for (size_t i = 0; i < input.size();) {
    const size_t n = SequenceLength(input, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

BoundedText BoundText(absl::string_view input, size_t max_octets) {
  BoundedText out;
  out.text.reserve(std::min(input.size(), max_octets));
  size_t i = 0;
  while (i < input.size()) {
    const size_t n = SequenceLength(input, i);
    const absl::string_view piece = n == 0 ? kReplacement : input.substr(i, n);
    if (out.text.size() + piece.size() > max_octets) {
      out.cut = true;
      break;
    }
    out.text.append(piece.data(), piece.size());
    i += n == 0 ? 1 : n;
  }
  return out;
}

}  // namespace mtasts::server
