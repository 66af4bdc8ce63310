// The one table of finding texts: for every FindingCode, its default severity,
// title, explanation and recommendation for a mail administrator, and the
// RFC 8460 result type a sender would report. docs/findings.md is generated
// from it (tools/gen_findings_doc) and a test keeps the two in step.
#ifndef MTASTS_CHECKS_FINDINGS_TABLE_H_
#define MTASTS_CHECKS_FINDINGS_TABLE_H_

#include <string>
#include <vector>

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

// Every code except FINDING_CODE_UNSPECIFIED, in enum order.
const std::vector<FindingInfo>& AllFindings();
// The entry for `code`; FINDING_CODE_UNSPECIFIED's placeholder for unknown codes.
const FindingInfo& InfoFor(v1::FindingCode code);

// Builds a finding from the table. `detail` says what was observed for this
// domain (values included) and is prefixed to the explanation; `subject` names
// the DNS name or host concerned.
v1::Finding MakeFinding(v1::FindingCode code, std::string detail,
                        std::string subject = "");
// Same, with a severity other than the table's default.
v1::Finding MakeFinding(v1::FindingCode code, v1::Severity severity,
                        std::string detail, std::string subject = "");

// docs/findings.md as it should read.
std::string RenderFindingsMarkdown();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_FINDINGS_TABLE_H_
