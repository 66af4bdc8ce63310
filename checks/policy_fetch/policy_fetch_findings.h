// Rows of the policy_fetch check's codes.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_FINDINGS_H_
#define MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& PolicyFetchFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_FINDINGS_H_
