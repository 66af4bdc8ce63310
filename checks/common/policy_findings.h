// Rows of the policy file's codes: the parser here and the policy_content check emit them.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_COMMON_POLICY_FINDINGS_H_
#define MTASTS_CHECKS_COMMON_POLICY_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& PolicyFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_COMMON_POLICY_FINDINGS_H_
