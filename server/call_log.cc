#include "server/call_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/bounded_text.h"

namespace mtasts::server {
namespace {

// JSON string escaping for values that came from callers (domains, peers),
// bounded: a caller cannot make a line longer than a few hundred bytes per
// field, nor invalid JSON with bytes that are not UTF-8.
std::string Quote(const std::string& value) {
  const BoundedText bounded = BoundText(value, kMaxEchoOctets);
  const std::string& s = bounded.text;
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (bounded.cut) absl::StrAppend(&out, "...(", value.size(), " octets)");
  return out + "\"";
}

}  // namespace

const char* StatusCodeName(int code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  if (code < 0 || code > 16) return "UNKNOWN";
  return kNames[code];
}

void CallLog::Write(const Record& record) {
  if (out_ == nullptr) return;
  std::string line = absl::StrCat(
      "{\"ts\":", Quote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())),
      ",\"rpc\":", Quote(record.rpc), ",\"peer\":", Quote(record.peer));
  for (const auto& [key, value] : record.strings) {
    absl::StrAppend(&line, ",", Quote(key), ":", Quote(value));
  }
  for (const auto& [key, value] : record.numbers) {
    absl::StrAppend(&line, ",", Quote(key), ":", absl::StrFormat("%.6g", value));
  }
  absl::StrAppend(&line, ",\"duration_ms\":",
                  absl::StrFormat("%.1f", absl::ToDoubleMilliseconds(record.duration)),
                  ",\"code\":", Quote(record.code), "}\n");
  absl::MutexLock lock(&mu_);
  fputs(line.c_str(), out_);
  fflush(out_);
}

}  // namespace mtasts::server
