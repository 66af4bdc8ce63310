// The SSRF address guard (docs/design.md §7.1): decides whether the service may open
// a connection to an address that a caller's domain pointed it at.
//
// Callers choose domains, domains choose addresses, so without a guard any
// caller could make the service probe loopback, the cloud metadata endpoint,
// or hosts on our private networks. Every outbound connection asks the guard
// first, with the exact address it will connect to (resolve once, check,
// connect to that address: no second lookup an attacker could rebind).
//
//   absl::StatusOr<AddressGuard> guard = AddressGuard::Create("127.0.0.0/8");
//   GuardVerdict v = guard->Check(*ParseIpAddress("169.254.169.254"));
//   // v.allowed == false, v.range == "link-local 169.254.0.0/16 (includes
//   // cloud metadata 169.254.169.254)"
//   guard->Check(*ParseIpAddress("127.0.0.1")).allowed;  // true, allowed_by
//                                                        // "127.0.0.0/8"
//
// What is refused: every special-purpose range of the IANA IPv4 and IPv6
// registries that is not globally reachable (loopback, RFC 1918, CGNAT,
// link-local, multicast, broadcast, unspecified, documentation, benchmarking,
// reserved, ULA, site-local, Teredo, ...) and, for IPv6, everything outside
// global unicast 2000::/3. IPv6 forms that carry an IPv4 address (IPv4-mapped
// ::ffff:0:0/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16) are
// judged by the IPv4 address they embed. An allowlist (the `--allow_targets`
// flag; tests use it for loopback) lets chosen refused addresses through.
//
// Pure: no I/O, no clock; an AddressGuard is immutable after Create, so one
// instance may be shared by all threads.
#ifndef MTASTS_NET_ADDRESS_GUARD_H_
#define MTASTS_NET_ADDRESS_GUARD_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::net {

// An IPv4 or IPv6 address (no port, no scope id). A plain value.
class IpAddress {
 public:
  enum class Family { kV4, kV6 };

  // 0.0.0.0.
  IpAddress() = default;
  static IpAddress V4(const std::array<uint8_t, 4>& bytes);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  // The address in a sockaddr_in / sockaddr_in6. INVALID_ARGUMENT for any
  // other family (AF_UNIX, AF_UNSPEC, ...).
  static absl::StatusOr<IpAddress> FromSockaddr(const sockaddr_storage& sa);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  const uint8_t* bytes() const { return bytes_.data(); }
  int size() const { return is_v4() ? 4 : 16; }
  int bit_length() const { return size() * 8; }

  // The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d);
  // nullopt for anything else.
  std::optional<IpAddress> MappedV4() const;

  // Canonical text (inet_ntop): "192.0.2.1", "2001:db8::1", "::ffff:10.0.0.1".
  std::string ToString() const;

  // Writes this address with `port` into `out` (sockaddr_in or sockaddr_in6,
  // rest zeroed) and returns its length, ready for connect().
  socklen_t ToSockaddr(uint16_t port, sockaddr_storage* out) const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses the first 4
};

// Parses "192.0.2.1" or "2001:db8::1" (inet_pton: dotted quad without
// leading zeros, any RFC 4291 IPv6 text form). No brackets, ports, zone ids
// ("fe80::1%eth0") or surrounding whitespace. INVALID_ARGUMENT naming the
// text otherwise.
absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text);

// An address block: `network` with its first `prefix_length` bits
// significant (the rest are zero).
struct Cidr {
  IpAddress network;
  int prefix_length = 0;

  // True when `address` is of the same family and within the block. An IPv4
  // block never contains an IPv6 address (mapped ones included): the guard
  // unwraps those itself.
  bool Contains(const IpAddress& address) const;
  // "10.0.0.0/8", "2001:db8::/32".
  std::string ToString() const;

  friend bool operator==(const Cidr& a, const Cidr& b) {
    return a.network == b.network && a.prefix_length == b.prefix_length;
  }
};

// Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128).
// INVALID_ARGUMENT naming the text and the defect: not an address, prefix
// length missing, not a decimal number or out of range for the family, or
// host bits set ("10.0.0.1/8": refused rather than silently widened, with the
// network the author probably meant).
absl::StatusOr<Cidr> ParseCidr(absl::string_view text);

// What the guard decided about one address.
struct GuardVerdict {
  // May the service connect to it?
  bool allowed = false;
  // The non-public range the address is in, as the IANA registries name it,
  // e.g. "loopback 127.0.0.0/8"; for an IPv6 form of an IPv4 address, the
  // range of that IPv4 address. Empty for a public address. Set also when an
  // allowlist entry let the address through.
  std::string range;
  // For an address judged by the IPv4 address it embeds: the IPv6 form, e.g.
  // "IPv4-mapped ::ffff:0:0/96", and that IPv4 address. Empty otherwise.
  std::string embedding;
  std::string embedded_v4;
  // The allowlist entry that let a non-public address through ("127.0.0.0/8");
  // empty when none did.
  std::string allowed_by;
  // One plain-English sentence for findings and logs, e.g. "::ffff:10.0.0.1
  // is not a public address: IPv4-mapped ::ffff:0:0/96 form of 10.0.0.1,
  // private (RFC 1918) 10.0.0.0/8."
  std::string explanation;
};

class AddressGuard {
 public:
  // `allow_cidrs_csv`: comma-separated CIDRs or bare addresses, IPv4 and IPv6
  // ("127.0.0.0/8, ::1"); whitespace around entries and empty entries are
  // ignored, so "" means no allowlist. INVALID_ARGUMENT naming every entry
  // that does not parse, with ParseCidr's reason.
  static absl::StatusOr<AddressGuard> Create(absl::string_view allow_cidrs_csv);

  // Judges one address. An IPv4-mapped IPv6 address is the IPv4 address it
  // maps (a dual-stack socket connects to exactly that), so IPv4 allowlist
  // entries cover it; NAT64 and 6to4 addresses reach a translator or relay
  // instead, so only IPv6 entries cover those.
  GuardVerdict Check(const IpAddress& address) const;
  // The same for a resolved or accepted socket address; refused (with an
  // explanation) when it is neither AF_INET nor AF_INET6.
  GuardVerdict Check(const sockaddr_storage& address) const;

  // The allowlist as parsed, in the order given.
  const std::vector<Cidr>& allowlist() const { return allowlist_; }

 private:
  explicit AddressGuard(std::vector<Cidr> allowlist)
      : allowlist_(std::move(allowlist)) {}

  std::vector<Cidr> allowlist_;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_ADDRESS_GUARD_H_
