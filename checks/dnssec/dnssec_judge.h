// The dnssec check's judgement, pure: validated answers in, verdict and
// evidence out.
//
// Points (docs/design.md §5.3): the MX RRset and the _mta-sts TXT answer validate as
// SECURE (proofs of absence count). BOGUS anywhere is HIGH (validating
// senders get SERVFAIL); INSECURE is a recommendation (WARN), not a failure.
// Lookups that fail without a validation error say nothing: INCONCLUSIVE.
// DANE (RFC 7672) is information: TLSA at _25._tcp.<mx host> per MX host.
#ifndef MTASTS_CHECKS_DNSSEC_DNSSEC_JUDGE_H_
#define MTASTS_CHECKS_DNSSEC_DNSSEC_JUDGE_H_

#include <string>
#include <vector>

#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dnssec_types.h"

namespace mtasts::checks {

struct DnssecObservations {
  std::string domain;
  net::ValidatedResult mx;       // <domain> MX
  net::ValidatedResult sts_txt;  // _mta-sts.<domain> TXT
  // mta-sts.<domain> A and AAAA.
  std::vector<net::ValidatedResult> policy_host;
  struct MxHostLookups {
    std::string host;
    std::vector<net::ValidatedResult> addresses;  // A and AAAA
    net::ValidatedResult tlsa;                    // _25._tcp.<host> TLSA
  };
  std::vector<MxHostLookups> mx_hosts;
};

v1::DnssecState ToDnssecState(net::DnssecSecurity security);

// Whether any lookup of `obs` timed out.
bool HasTimeout(const DnssecObservations& obs);
// When the validated lookups of `mass_runs` (> 0) runs timed out at the same
// time (DnsUpstream::MassTimeoutSessions), the timeouts in `obs` are the
// checker's own overload: kTimeout becomes kResolverOverloaded (judged as
// DNSSEC_VALIDATOR_OVERLOADED, not DNSSEC_LOOKUP_FAILED), the detail saying
// why. `mass_runs` 0: nothing changes.
void MarkOwnOverload(int mass_runs, DnssecObservations* obs);

// Fills evidence->dnssec, and the DANE part of evidence->mx_hosts (matched
// by host name; hosts missing there are left out) and returns the verdict.
CheckVerdict JudgeDnssec(const DnssecObservations& obs, v1::Evidence* evidence);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_DNSSEC_DNSSEC_JUDGE_H_
