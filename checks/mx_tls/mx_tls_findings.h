// Rows of the mx_tls check's codes.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_MX_TLS_MX_TLS_FINDINGS_H_
#define MTASTS_CHECKS_MX_TLS_MX_TLS_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& MxTlsFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_TLS_MX_TLS_FINDINGS_H_
