#include "checks/findings/lookup_verdict.h"

#include "absl/strings/str_cat.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

v1::DnsOutcome ToProtoOutcome(net::DnsOutcome outcome) {
  switch (outcome) {
    case net::DnsOutcome::kAnswer: return v1::DNS_OUTCOME_ANSWER;
    case net::DnsOutcome::kNxDomain: return v1::DNS_OUTCOME_NXDOMAIN;
    case net::DnsOutcome::kNoData: return v1::DNS_OUTCOME_NODATA;
    case net::DnsOutcome::kServFail: return v1::DNS_OUTCOME_SERVFAIL;
    case net::DnsOutcome::kRefused: return v1::DNS_OUTCOME_REFUSED;
    case net::DnsOutcome::kTimeout: return v1::DNS_OUTCOME_TIMEOUT;
    case net::DnsOutcome::kUnreachable: return v1::DNS_OUTCOME_RESOLVER_UNREACHABLE;
    case net::DnsOutcome::kResolverOverloaded: return v1::DNS_OUTCOME_RESOLVER_OVERLOADED;
    case net::DnsOutcome::kError:
    case net::DnsOutcome::kCancelled: return v1::DNS_OUTCOME_ERROR;
  }
  return v1::DNS_OUTCOME_ERROR;
}

const char* DnsOutcomeWords(net::DnsOutcome outcome) {
  switch (outcome) {
    case net::DnsOutcome::kServFail:
      return "SERVFAIL: a name server failed to answer (often a broken or "
             "unreachable authoritative server, or a DNSSEC validation "
             "failure)";
    case net::DnsOutcome::kRefused:
      return "REFUSED: the name server refused the query";
    case net::DnsOutcome::kTimeout:
      return "TIMEOUT: no name server answered in time";
    case net::DnsOutcome::kError:
      return "ERROR: the answer was malformed, or the CNAME chain looped or "
             "was too long";
    case net::DnsOutcome::kUnreachable:
      return "UNREACHABLE: the checker's own DNS resolver could not be contacted";
    case net::DnsOutcome::kResolverOverloaded:
      return "RESOLVER_OVERLOADED: the checker's own DNS resolver did not answer in time";
    default:
      return net::DnsOutcomeName(outcome);
  }
}

CheckVerdict InconclusiveLookupVerdict(const net::DnsResult& lookup, absl::string_view what) {
  CheckVerdict verdict;
  verdict.status = v1::CHECK_STATUS_INCONCLUSIVE;
  if (lookup.outcome == net::DnsOutcome::kUnreachable) {
    FindingList findings(EngineFindings(), lookup.name);
    findings.Add(v1::RESOLVER_UNREACHABLE,
                 absl::StrCat("The ", what, " could not be made: ", lookup.detail, "."));
    verdict.findings = std::move(findings).Take();
    verdict.summary = absl::StrCat("The ", what,
                                   " never reached a DNS server, so nothing is known; "
                                   "left out of the score.");
  } else if (lookup.outcome == net::DnsOutcome::kResolverOverloaded) {
    FindingList findings(EngineFindings(), lookup.name);
    findings.Add(v1::RESOLVER_OVERLOADED,
                 absl::StrCat("The ", what, " got no answer from the checker's own resolver: ",
                              lookup.detail, "."));
    verdict.findings = std::move(findings).Take();
    verdict.summary = absl::StrCat("The checker's own DNS resolver did not answer the ", what,
                                   " in time (it was overloaded or cut off), so nothing is "
                                   "known; left out of the score.");
  } else {
    verdict.summary = absl::StrCat("The ", what, " was cancelled before it finished.");
  }
  return verdict;
}

}  // namespace mtasts::checks
