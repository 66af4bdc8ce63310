// Rows of the mx_match check's codes.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_MX_MATCH_MX_MATCH_FINDINGS_H_
#define MTASTS_CHECKS_MX_MATCH_MX_MATCH_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& MxMatchFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_MATCH_MX_MATCH_FINDINGS_H_
