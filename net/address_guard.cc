#include "net/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mtasts::net {
namespace {

// Quoted, escaped and bounded: error messages echo what the operator typed.
std::string Quote(absl::string_view text) {
  constexpr size_t kMaxEcho = 64;
  std::string out = absl::StrCat(
      "\"", absl::CHexEscape(text.substr(0, kMaxEcho)), "\"");
  if (text.size() > kMaxEcho) out += "...";
  return out;
}

// Where a range's addresses hide an IPv4 address that decides for them.
enum class Embedded {
  kNone,      // the range decides: refused
  kLast32,    // bytes 12..15: IPv4-mapped, NAT64 (RFC 6052 /96 form)
  kSixToFour, // bytes 2..5: 6to4 (RFC 3056)
};

struct SpecialRange {
  Cidr cidr;
  std::string name;
  Embedded embedded;
};

// The IANA IPv4 and IPv6 special-purpose address registries, less the entries
// that are globally reachable (AS112, AMT, PCP/TURN anycast: no policy host
// lives there, and the registry marks them reachable). Sorted longest prefix
// first, so the most specific name wins ("unspecified ::" before
// "IPv4-compatible ::/96").
const std::vector<SpecialRange>& SpecialRanges() {
  static const std::vector<SpecialRange>* const ranges = [] {
    struct Row {
      const char* cidr;
      const char* name;
      Embedded embedded;
    };
    constexpr Row kRows[] = {
        // IPv4 (RFC 6890 and successors).
        {"0.0.0.0/32", "unspecified 0.0.0.0", Embedded::kNone},
        {"0.0.0.0/8", "\"this network\" 0.0.0.0/8", Embedded::kNone},
        {"10.0.0.0/8", "private (RFC 1918) 10.0.0.0/8", Embedded::kNone},
        {"100.64.0.0/10", "CGNAT 100.64.0.0/10", Embedded::kNone},
        {"127.0.0.0/8", "loopback 127.0.0.0/8", Embedded::kNone},
        {"169.254.0.0/16",
         "link-local 169.254.0.0/16 (includes cloud metadata 169.254.169.254)",
         Embedded::kNone},
        {"172.16.0.0/12", "private (RFC 1918) 172.16.0.0/12", Embedded::kNone},
        {"192.0.0.0/24", "IETF protocol assignments 192.0.0.0/24",
         Embedded::kNone},
        {"192.0.2.0/24", "documentation (TEST-NET-1) 192.0.2.0/24",
         Embedded::kNone},
        {"192.88.99.0/24", "6to4 relay anycast 192.88.99.0/24 (deprecated)",
         Embedded::kNone},
        {"192.168.0.0/16", "private (RFC 1918) 192.168.0.0/16",
         Embedded::kNone},
        {"198.18.0.0/15", "benchmarking 198.18.0.0/15", Embedded::kNone},
        {"198.51.100.0/24", "documentation (TEST-NET-2) 198.51.100.0/24",
         Embedded::kNone},
        {"203.0.113.0/24", "documentation (TEST-NET-3) 203.0.113.0/24",
         Embedded::kNone},
        {"224.0.0.0/4", "multicast 224.0.0.0/4", Embedded::kNone},
        {"240.0.0.0/4", "reserved 240.0.0.0/4", Embedded::kNone},
        {"255.255.255.255/32", "broadcast 255.255.255.255", Embedded::kNone},
        // IPv6 (RFC 6890 and successors). Everything outside 2000::/3 that is
        // not named here is refused as well, see JudgeV6.
        {"::/128", "unspecified ::", Embedded::kNone},
        {"::1/128", "IPv6 loopback ::1", Embedded::kNone},
        {"::ffff:0:0/96", "IPv4-mapped ::ffff:0:0/96", Embedded::kLast32},
        {"::/96", "IPv4-compatible ::/96 (deprecated)", Embedded::kNone},
        {"64:ff9b::/96", "NAT64 64:ff9b::/96", Embedded::kLast32},
        // RFC 8215 lets an operator pick any RFC 6052 prefix length inside
        // the /48; the /96 form is the one deployed, so that is the one read.
        {"64:ff9b:1::/48", "local-use NAT64 64:ff9b:1::/48", Embedded::kLast32},
        {"100::/64", "discard-only 100::/64", Embedded::kNone},
        // Teredo's embedded addresses are obfuscated and name a relay and a
        // client, not a destination: refused whatever they embed.
        {"2001::/32", "Teredo 2001::/32", Embedded::kNone},
        {"2001:2::/48", "benchmarking 2001:2::/48", Embedded::kNone},
        {"2001:10::/28", "ORCHID 2001:10::/28 (deprecated)", Embedded::kNone},
        {"2001:20::/28", "ORCHIDv2 2001:20::/28", Embedded::kNone},
        {"2001::/23", "IETF protocol assignments 2001::/23", Embedded::kNone},
        {"2001:db8::/32", "documentation 2001:db8::/32", Embedded::kNone},
        {"2002::/16", "6to4 2002::/16", Embedded::kSixToFour},
        {"3fff::/20", "documentation 3fff::/20", Embedded::kNone},
        {"fc00::/7", "unique local (ULA) fc00::/7", Embedded::kNone},
        {"fe80::/10", "link-local fe80::/10", Embedded::kNone},
        {"fec0::/10", "site-local fec0::/10 (deprecated)", Embedded::kNone},
        {"ff00::/8", "multicast ff00::/8", Embedded::kNone},
    };
    auto* out = new std::vector<SpecialRange>;
    for (const Row& row : kRows) {
      absl::StatusOr<Cidr> cidr = ParseCidr(row.cidr);
      if (!cidr.ok()) std::abort();  // our own table: a typo is a bug
      out->push_back({*cidr, row.name, row.embedded});
    }
    std::stable_sort(out->begin(), out->end(),
                     [](const SpecialRange& a, const SpecialRange& b) {
                       return a.cidr.prefix_length > b.cidr.prefix_length;
                     });
    return out;
  }();
  return *ranges;
}

const SpecialRange* FindRange(const IpAddress& address) {
  for (const SpecialRange& range : SpecialRanges()) {
    if (range.cidr.Contains(address)) return &range;
  }
  return nullptr;
}

// How an address is classified before the allowlist is consulted.
struct Classification {
  std::string range;        // non-empty: not public
  std::string embedding;    // the IPv6 form that carried an IPv4 address
  std::optional<IpAddress> embedded_v4;
};

Classification Classify(const IpAddress& address) {
  Classification out;
  const SpecialRange* range = FindRange(address);
  if (range == nullptr) {
    // RFC 4291 §2.4 and the IANA registry: only 2000::/3 is global unicast.
    if (!address.is_v4() && (address.bytes()[0] & 0xe0) != 0x20) {
      out.range = "outside IPv6 global unicast 2000::/3 (reserved)";
    }
    return out;
  }
  if (range->embedded == Embedded::kNone) {
    out.range = range->name;
    return out;
  }
  const uint8_t* b = address.bytes();
  const int at = range->embedded == Embedded::kLast32 ? 12 : 2;
  const IpAddress v4 = IpAddress::V4({b[at], b[at + 1], b[at + 2], b[at + 3]});
  out.embedding = range->name;
  out.embedded_v4 = v4;
  if (const SpecialRange* inner = FindRange(v4)) out.range = inner->name;
  return out;
}

bool HasColon(absl::string_view text) {
  return text.find(':') != absl::string_view::npos;
}

}  // namespace

IpAddress IpAddress::V4(const std::array<uint8_t, 4>& bytes) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  return a;
}

absl::StatusOr<IpAddress> IpAddress::FromSockaddr(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &in.sin_addr, 4);
    return V4(bytes);
  }
  if (sa.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, 16);
    return V6(bytes);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "address family ", sa.ss_family, " is neither IPv4 nor IPv6"));
}

std::optional<IpAddress> IpAddress::MappedV4() const {
  if (is_v4()) return std::nullopt;
  for (int i = 0; i < 10; ++i) {
    if (bytes_[i] != 0) return std::nullopt;
  }
  if (bytes_[10] != 0xff || bytes_[11] != 0xff) return std::nullopt;
  return V4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  const char* text = inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(),
                               buf, sizeof(buf));
  return text == nullptr ? "?" : std::string(text);
}

socklen_t IpAddress::ToSockaddr(uint16_t port, sockaddr_storage* out) const {
  std::memset(out, 0, sizeof(*out));
  if (is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, bytes_.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::memcpy(&in6->sin6_addr, bytes_.data(), 16);
  return sizeof(sockaddr_in6);
}

absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text) {
  // inet_pton needs a NUL-terminated string and would stop at an embedded
  // NUL; the longest valid text is "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof(buf) ||
      text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an IP address: ", Quote(text)));
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (HasColon(text)) {
    std::array<uint8_t, 16> bytes;
    if (inet_pton(AF_INET6, buf, bytes.data()) == 1) {
      return IpAddress::V6(bytes);
    }
  } else {
    std::array<uint8_t, 4> bytes;
    if (inet_pton(AF_INET, buf, bytes.data()) == 1) {
      return IpAddress::V4(bytes);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("not an IP address: ", Quote(text)));
}

bool Cidr::Contains(const IpAddress& address) const {
  if (address.family() != network.family()) return false;
  const uint8_t* a = address.bytes();
  const uint8_t* n = network.bytes();
  const int full = prefix_length / 8;
  if (std::memcmp(a, n, full) != 0) return false;
  const int rest = prefix_length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (n[full] & mask);
}

std::string Cidr::ToString() const {
  return absl::StrCat(network.ToString(), "/", prefix_length);
}

absl::StatusOr<Cidr> ParseCidr(absl::string_view text) {
  auto invalid = [text](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CIDR ", Quote(text), ": ", why));
  };
  const size_t slash = text.find('/');
  const absl::string_view address_text = text.substr(0, slash);
  absl::StatusOr<IpAddress> address = ParseIpAddress(address_text);
  if (!address.ok()) {
    return invalid(absl::StrCat(Quote(address_text), " is not an IP address"));
  }
  Cidr cidr;
  cidr.network = *address;
  cidr.prefix_length = address->bit_length();
  if (slash != absl::string_view::npos) {
    const absl::string_view length_text = text.substr(slash + 1);
    if (length_text.empty()) return invalid("prefix length missing after '/'");
    int length = 0;
    if (length_text.size() > 3 ||
        !std::all_of(length_text.begin(), length_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        !absl::SimpleAtoi(length_text, &length)) {
      return invalid(absl::StrCat("prefix length ", Quote(length_text),
                                  " is not a decimal number"));
    }
    if (length > address->bit_length()) {
      return invalid(absl::StrCat("prefix length ", length, " exceeds ",
                                  address->bit_length(), " for ",
                                  address->is_v4() ? "IPv4" : "IPv6"));
    }
    cidr.prefix_length = length;
  }
  // Host bits set: refuse rather than widen silently. "10.0.0.1/8" is far
  // more often a mistyped "/32" than a deliberate /8.
  std::array<uint8_t, 16> masked{};
  std::memcpy(masked.data(), address->bytes(), address->size());
  for (int bit = cidr.prefix_length; bit < address->bit_length(); ++bit) {
    masked[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  const IpAddress network =
      address->is_v4()
          ? IpAddress::V4({masked[0], masked[1], masked[2], masked[3]})
          : IpAddress::V6(masked);
  if (network != *address) {
    return invalid(absl::StrCat("host bits set (did you mean ",
                                network.ToString(), "/", cidr.prefix_length,
                                "?)"));
  }
  return cidr;
}

absl::StatusOr<AddressGuard> AddressGuard::Create(
    absl::string_view allow_cidrs_csv) {
  std::vector<Cidr> allowlist;
  std::vector<std::string> errors;
  for (absl::string_view entry : absl::StrSplit(allow_cidrs_csv, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    absl::StatusOr<Cidr> cidr = ParseCidr(entry);
    if (cidr.ok()) {
      allowlist.push_back(*cidr);
    } else {
      errors.emplace_back(cidr.status().message());
    }
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address allowlist: ", absl::StrJoin(errors, "; ")));
  }
  return AddressGuard(std::move(allowlist));
}

GuardVerdict AddressGuard::Check(const IpAddress& address) const {
  const Classification c = Classify(address);
  GuardVerdict v;
  v.range = c.range;
  v.embedding = c.embedding;
  if (c.embedded_v4) v.embedded_v4 = c.embedded_v4->ToString();
  const std::string text = address.ToString();
  const std::string form =
      c.embedding.empty()
          ? std::string()
          : absl::StrCat(c.embedding, " form of ", v.embedded_v4);

  if (c.range.empty()) {
    v.allowed = true;
    v.explanation = form.empty()
                        ? absl::StrCat(text, " is a public address.")
                        : absl::StrCat(text, " is a public address (", form,
                                       ").");
    return v;
  }
  const std::string why =
      form.empty() ? c.range : absl::StrCat(form, ", ", c.range);
  // An IPv4-mapped address is its IPv4 address on the wire: IPv4 entries
  // cover it. NAT64 and 6to4 addresses reach a translator: IPv6 entries only.
  const std::optional<IpAddress> mapped = address.MappedV4();
  for (const Cidr& allowed : allowlist_) {
    if (allowed.Contains(address) || (mapped && allowed.Contains(*mapped))) {
      v.allowed = true;
      v.allowed_by = allowed.ToString();
      v.explanation =
          absl::StrCat(text, " is not a public address (", why,
                       ") but the allowlist entry ", v.allowed_by,
                       " allows it.");
      return v;
    }
  }
  v.explanation = absl::StrCat(text, " is not a public address: ", why, ".");
  return v;
}

GuardVerdict AddressGuard::Check(const sockaddr_storage& address) const {
  absl::StatusOr<IpAddress> ip = IpAddress::FromSockaddr(address);
  if (!ip.ok()) {
    GuardVerdict v;
    v.range = "not an IP address";
    v.explanation = absl::StrCat(ip.status().message(), ": refused.");
    return v;
  }
  return Check(*ip);
}

}  // namespace mtasts::net
