// Rows of the txt check's codes.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_TXT_TXT_FINDINGS_H_
#define MTASTS_CHECKS_TXT_TXT_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& TxtFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TXT_TXT_FINDINGS_H_
