// Verdicts and words for DNS lookups that did not give an answer.
#ifndef MTASTS_CHECKS_FINDINGS_LOOKUP_VERDICT_H_
#define MTASTS_CHECKS_FINDINGS_LOOKUP_VERDICT_H_

#include "absl/strings/string_view.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {

// A failed DNS outcome in words for a finding's detail, e.g. "TIMEOUT: no
// name server answered in time".
const char* DnsOutcomeWords(net::DnsOutcome outcome);

// The report's DnsOutcome for a lookup's outcome (cancelled and malformed
// answers are both ERROR).
v1::DnsOutcome ToProtoOutcome(net::DnsOutcome outcome);

// The verdict of a check whose lookup never reached a DNS server of ours
// (DnsOutcome::kUnreachable), got no answer from it (kResolverOverloaded) or
// was cancelled: INCONCLUSIVE, with a RESOLVER_UNREACHABLE or
// RESOLVER_OVERLOADED finding in the first two cases (never a finding about
// the domain). `what` names the lookup,
// e.g. "TXT lookup of _mta-sts.example.com".
CheckVerdict InconclusiveLookupVerdict(const net::DnsResult& lookup, absl::string_view what);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_FINDINGS_LOOKUP_VERDICT_H_
