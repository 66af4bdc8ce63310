// Rows of the tls_rpt check's codes.
// See checks/findings/finding.h.
#ifndef MTASTS_CHECKS_TLS_RPT_TLS_RPT_FINDINGS_H_
#define MTASTS_CHECKS_TLS_RPT_TLS_RPT_FINDINGS_H_

#include "checks/findings/finding.h"

namespace mtasts::checks {

const FindingTable& TlsRptFindings();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_RPT_TLS_RPT_FINDINGS_H_
