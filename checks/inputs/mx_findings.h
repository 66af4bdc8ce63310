// Rows of the shared MX lookup's codes (the domain as a whole).
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_INPUTS_MX_FINDINGS_H_
#define MTASTS_CHECKS_INPUTS_MX_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& MxSetFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_INPUTS_MX_FINDINGS_H_
