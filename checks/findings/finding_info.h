// One row of a finding table: what a FindingCode means for a mail
// administrator. Each check keeps its rows beside its code
// (checks/<check>/<check>_findings.cc); docs/findings.md is rendered from all
// of them (tools/gen_findings_doc).
//
// tlsrpt_result_type: a sender reports a result type (RFC 8460 §4.3) only for
// a TLS negotiation, or for a policy it found and then failed to fetch or
// apply. A missing, duplicated or invalid _mta-sts record makes it conclude
// "no MTA-STS policy" (RFC 8461 §3.1) and skip discovery, which it does not
// report; a missing or invalid _smtp._tls record leaves it nowhere to report
// to; MX and engine findings concern DNS and our own run, not TLS. Codes of
// the policy and TLS checks carry them.
#ifndef MTASTS_CHECKS_FINDINGS_FINDING_INFO_H_
#define MTASTS_CHECKS_FINDINGS_FINDING_INFO_H_

#include "absl/types/span.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks {

struct FindingInfo {
  v1::FindingCode code;
  v1::Severity severity;           // default; a check may raise or lower it
  const char* check;               // "txt", "tls_rpt", "engine", "mx", ...
  const char* title;               // one line
  const char* explanation;         // why it matters, plain English
  const char* recommendation;      // what to do; "" when nothing
  const char* tlsrpt_result_type;  // RFC 8460 §4.3 result type, "" when none
};

// A static array of rows, in enum order.
using FindingRows = absl::Span<const FindingInfo>;

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_FINDINGS_FINDING_INFO_H_
