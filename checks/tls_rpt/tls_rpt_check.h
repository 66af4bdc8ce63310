// The tls_rpt check: the _smtp._tls.<domain> TXT record (RFC 8460 §3). The
// lookup is here; the judging is the pure JudgeTlsRptLookup (tlsrpt_record.h).
#ifndef MTASTS_CHECKS_TLS_RPT_TLS_RPT_CHECK_H_
#define MTASTS_CHECKS_TLS_RPT_TLS_RPT_CHECK_H_

#include "checks/check.h"
#include "checks/tls_rpt/tlsrpt_record.h"

namespace mtasts::checks {

class TlsRptCheck : public Check {
 public:
  std::string_view name() const override { return "tls_rpt"; }
  int default_weight() const override { return 10; }
  const FindingTable& findings() const override { return TlsRptFindings(); }
  void Run(CheckContext& ctx, DoneCallback done) override;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_RPT_TLS_RPT_CHECK_H_
