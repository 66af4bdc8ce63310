// Rows of the dnssec check's codes.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_DNSSEC_DNSSEC_FINDINGS_H_
#define MTASTS_CHECKS_DNSSEC_DNSSEC_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& DnssecFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_DNSSEC_DNSSEC_FINDINGS_H_
