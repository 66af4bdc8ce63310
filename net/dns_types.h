// Plain DNS result types shared by the resolver and the pure judges in checks/.
#ifndef MTASTS_NET_DNS_TYPES_H_
#define MTASTS_NET_DNS_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace mtasts::net {

enum class RrType { kA, kAaaa, kMx, kTxt, kCname };
// "A", "AAAA", "MX", "TXT", "CNAME".
inline const char* RrTypeName(RrType type) {
  switch (type) {
    case RrType::kA: return "A";
    case RrType::kAaaa: return "AAAA";
    case RrType::kMx: return "MX";
    case RrType::kTxt: return "TXT";
    case RrType::kCname: return "CNAME";
  }
  return "?";
}

enum class DnsOutcome {
  kAnswer,    // records of the asked type (possibly after CNAMEs)
  kNxDomain,  // name (or the end of its CNAME chain) does not exist
  kNoData,    // name exists, no records of the type
  kServFail,
  kRefused,
  kTimeout,   // every try timed out
  kError,     // malformed answer, CNAME loop or chain too long, other rcodes
  // Our own resolver could not be reached at all (connection refused): says
  // nothing about the domain, so checks treat it as inconclusive.
  kUnreachable,
  // The lookup timed out and so did a probe of our own resolver (". NS"),
  // or it waited in our own DNS queue past the domain's deadline: our
  // resolver is overloaded or cut off, which says nothing about the domain.
  kResolverOverloaded,
  kCancelled, // the session was cancelled; never delivered to callers' callbacks
};
// "ANSWER", "NXDOMAIN", "NODATA", "SERVFAIL", "REFUSED", "TIMEOUT", "ERROR",
// "UNREACHABLE", "RESOLVER_OVERLOADED", "CANCELLED".
inline const char* DnsOutcomeName(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::kAnswer: return "ANSWER";
    case DnsOutcome::kNxDomain: return "NXDOMAIN";
    case DnsOutcome::kNoData: return "NODATA";
    case DnsOutcome::kServFail: return "SERVFAIL";
    case DnsOutcome::kRefused: return "REFUSED";
    case DnsOutcome::kTimeout: return "TIMEOUT";
    case DnsOutcome::kError: return "ERROR";
    case DnsOutcome::kUnreachable: return "UNREACHABLE";
    case DnsOutcome::kResolverOverloaded: return "RESOLVER_OVERLOADED";
    case DnsOutcome::kCancelled: return "CANCELLED";
  }
  return "?";
}

// True for outcomes about the checker's own vantage point (its resolver
// unreachable or overloaded) rather than the name asked: a check that sees
// one is INCONCLUSIVE, never FAIL (checks/findings/lookup_verdict.h).
inline bool IsOwnResolverFailure(DnsOutcome outcome) {
  return outcome == DnsOutcome::kUnreachable || outcome == DnsOutcome::kResolverOverloaded;
}

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // lower case, no trailing dot; "" for a null MX ("0 .")
  bool operator==(const MxRecord& o) const {
    return preference == o.preference && host == o.host;
  }
};

struct DnsResult {
  std::string name;   // as asked, lower case, no trailing dot
  RrType type = RrType::kA;
  DnsOutcome outcome = DnsOutcome::kError;
  std::string detail;                   // human-readable cause for failures
  std::vector<std::string> cname_chain; // aliases followed, in order: each target
  bool used_tcp = false;                // UDP answer was truncated, TCP used
  uint32_t ttl = 0;                     // minimum TTL of the answer records
  // The resolver whose answer ended the lookup, as DnsSession::AnsweredBy
  // spells it; empty when none answered (timeout, unreachable, bad name).
  std::string answered_by;
  // Filled for the asked type only:
  std::vector<std::string> txt;         // each record's strings joined
  std::vector<MxRecord> mx;             // in answer order
  std::vector<std::string> addresses;   // A/AAAA in text form
};

// One question as a DnsSession finished it (every try, CNAME hop and resend
// included), for metrics (DnsOptions::on_question_finished).
struct DnsQueryStats {
  DnsOutcome outcome = DnsOutcome::kError;
  // Tries sent for it: each CNAME hop and overload resend starts at one,
  // plus one per try that timed out before the next; the TCP retry after a
  // truncated answer is not a try of its own (used_tcp says so).
  int attempts = 0;
  int attempt_timeouts = 0;  // of those, the ones that got no answer in time
  bool used_tcp = false;     // retried over TCP after a truncated answer
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_TYPES_H_
