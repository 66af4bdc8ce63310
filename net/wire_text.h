// Small text helpers shared by TlsStream, the protocol drivers over it
// (https_get, smtp_starttls) and the address parsers (host_port,
// dns_resolver): IP literals, how a peer is named in messages, which
// caller-supplied words may go onto the wire, durations and peer bytes in
// messages.
#ifndef MTASTS_NET_WIRE_TEXT_H_
#define MTASTS_NET_WIRE_TEXT_H_

#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mtasts::net {

inline bool IsIpv4Literal(const std::string& s) {
  unsigned char buf[4];
  return inet_pton(AF_INET, s.c_str(), buf) == 1;
}

inline bool IsIpv6Literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "192.0.2.1:443", "[2001:db8::1]:25".
inline std::string AddressPort(const std::string& address, uint16_t port) {
  return IsIpv6Literal(address) ? absl::StrCat("[", address, "]:", port)
                                : absl::StrCat(address, ":", port);
}

// Printable ASCII without spaces: what may go into a request line, a Host
// header or an SMTP command argument without changing its meaning.
inline bool IsPrintableToken(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

// "250ms".
inline std::string Millis(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
}

// At most `max` bytes of `s` as printable ASCII, other bytes as \r, \n or
// \xNN, "..." when cut: for anything a peer sent that a message quotes
// (reports are UTF-8 protobuf strings).
inline std::string PrintableText(absl::string_view s, size_t max = 64) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace mtasts::net

#endif  // MTASTS_NET_WIRE_TEXT_H_
