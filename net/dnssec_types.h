// Plain DNSSEC result types shared by the validator and the pure judges in
// checks/dnssec (which must not need libunbound or the reactor).
#ifndef MTASTS_NET_DNSSEC_TYPES_H_
#define MTASTS_NET_DNSSEC_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "net/dns_types.h"

namespace mtasts::net {

// RR type numbers (RFC 1035, 3596, 6698) for Resolve().
inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeMx = 15;
inline constexpr uint16_t kDnsTypeTxt = 16;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsTypeDnskey = 48;
inline constexpr uint16_t kDnsTypeTlsa = 52;
// "A", "MX", "TXT", "AAAA", "DNSKEY", "TLSA", else "TYPEn".
inline std::string DnsTypeName(uint16_t type) {
  switch (type) {
    case kDnsTypeA: return "A";
    case kDnsTypeMx: return "MX";
    case kDnsTypeTxt: return "TXT";
    case kDnsTypeAaaa: return "AAAA";
    case kDnsTypeDnskey: return "DNSKEY";
    case kDnsTypeTlsa: return "TLSA";
  }
  return "TYPE" + std::to_string(type);
}

enum class DnssecSecurity {
  kSecure,    // validated from the trust anchor (data or proven absence)
  kInsecure,  // provably unsigned: a delegation without DS on the way down
  kBogus,     // signed, but validation failed (why_bogus says why)
  kUnknown,   // no answer to judge (timeout, error, cancelled)
};
// "SECURE", "INSECURE", "BOGUS", "UNKNOWN".
inline const char* DnssecSecurityName(DnssecSecurity security) {
  switch (security) {
    case DnssecSecurity::kSecure: return "SECURE";
    case DnssecSecurity::kInsecure: return "INSECURE";
    case DnssecSecurity::kBogus: return "BOGUS";
    case DnssecSecurity::kUnknown: return "UNKNOWN";
  }
  return "?";
}

struct ValidatedResult {
  std::string name;  // as asked, lower case, no trailing dot
  uint16_t type = 0;
  // kAnswer, kNxDomain, kNoData, kServFail (a BOGUS answer is reported as
  // kServFail with security kBogus: its data is withheld), kRefused, kTimeout,
  // kError (incl. trust anchor problems), kUnreachable.
  DnsOutcome outcome = DnsOutcome::kError;
  DnssecSecurity security = DnssecSecurity::kUnknown;
  std::string why_bogus;  // libunbound's reason, for kBogus
  std::string detail;     // human-readable cause of failures / truncation
  int rcode = -1;         // DNS rcode of the final answer; -1 when none
  uint32_t ttl = 0;
  std::string canonical_name;  // target after CNAMEs; == name when none
  // Wire-format RDATA of the records of the asked type (at most max_records).
  std::vector<std::string> rdata;
  // Parsed views for the common types:
  std::vector<std::string> txt;        // TXT: strings joined without spaces
  std::vector<MxRecord> mx;            // MX
  std::vector<std::string> addresses;  // A / AAAA in text form
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNSSEC_TYPES_H_
