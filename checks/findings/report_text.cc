#include "checks/findings/report_text.h"

#include "absl/strings/str_cat.h"

namespace mtasts::checks {

std::string QuoteForDetail(absl::string_view value, size_t max_chars) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size(); ++i) {
    if (i == max_chars) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  out.push_back('"');
  return out;
}

std::string QuoteListForDetail(const std::vector<absl::string_view>& values,
                               size_t max_items) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < max_items; ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ", ", QuoteForDetail(values[i]));
  }
  if (values.size() > max_items) {
    absl::StrAppend(&out, " and ", values.size() - max_items, " more");
  }
  return out;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return len;
}

namespace {

bool IsControl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace

std::string SanitizeForReport(absl::string_view text) {
  bool clean = true;
  for (size_t i = 0; i < text.size() && clean;) {
    const size_t len = Utf8SequenceLength(text, i);
    clean = len != 0 && !(len == 1 && IsControl(text[i]));
    i += len;
  }
  if (clean) return std::string(text);
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0 || (len == 1 && IsControl(text[i]))) {
      absl::StrAppend(
          &out, "\\x",
          absl::Hex(static_cast<unsigned char>(text[i]), absl::kZeroPad2));
      ++i;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace mtasts::checks
