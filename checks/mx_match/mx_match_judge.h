// The mx_match judge: the domain's MX hosts against the policy's mx patterns
// (RFC 8461 §4.1), as a sender matches them (checks/common/mx_pattern.h).
//
//   MxHostSet mx{"example.com",
//                {{10, "mx1.example.com"}, {20, "mx2.example.net"}}};
//   CheckVerdict v = JudgeMxMatch({"*.example.com"}, v1::POLICY_MODE_ENFORCE,
//                                 mx, &evidence);
//   // v.status == FAIL, fraction 0.5: MX_MATCH_HOST_UNMATCHED (CRITICAL) for
//   // mx2.example.net; evidence.mx_hosts(0).matched_pattern() ==
//   // "*.example.com".
//
// Severities:
//  - An unmatched MX host is CRITICAL under enforce (compliant senders do not
//    deliver to it), HIGH under testing (they report it), LOW under none. A
//    pattern matching no MX host is LOW (stale). A null MX and an absent MX
//    set (the domain itself is the implicit MX) are explained.
//  - fraction = share of MX hosts covered (docs/design.md §5.3, 10 points).
// Pure functions.
#ifndef MTASTS_CHECKS_MX_MATCH_MX_MATCH_JUDGE_H_
#define MTASTS_CHECKS_MX_MATCH_MX_MATCH_JUDGE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// The rows of the mx_match check's codes (MX_MATCH_*), in mx_match_findings.cc.
const FindingTable& MxMatchFindings();

// The domain's MX set, as the mx_match judge needs it.
struct MxHostSet {
  // The policy domain, A-label form, lower case: the subject of domain-wide
  // findings and, without MX records, the implicit MX host (RFC 5321 §5.1).
  std::string domain;
  // The MX hosts, in preference order; a null MX ("0 .") is not among them.
  std::vector<net::MxRecord> hosts;
  // A null MX (RFC 7505) was published (alone, or mixed with other hosts).
  bool null_mx = false;
};

// Bounds on work and report size for hostile inputs.
// Unmatched hosts reported one finding each; the rest are counted in one more.
inline constexpr size_t kMaxUnmatchedHostFindings = 16;

// Judges the MX hosts against the policy's mx patterns under `mode` (the
// valid policy's mode; POLICY_MODE_UNSPECIFIED when there is no valid policy,
// which gives SKIPPED). For each host of `mx` sets matched_pattern in
// evidence->mx_hosts, matched by name and created (name, preference) when
// absent; "" when no pattern matches. An exact pattern is preferred to a
// wildcard. `evidence` may be null. Findings about one host name it as their
// subject, the others mx.domain; most severe first. fraction is the share of
// hosts covered; status PASS (all covered, nothing stale), WARN (stale
// patterns, or unmatched hosts under testing or none), FAIL (unmatched hosts
// under enforce), SKIPPED (no policy, null MX, mode none without patterns).
CheckVerdict JudgeMxMatch(const std::vector<std::string>& patterns,
                          v1::PolicyMode mode, const MxHostSet& mx,
                          v1::Evidence* evidence);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_MATCH_MX_MATCH_JUDGE_H_
