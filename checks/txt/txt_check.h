// The txt check: the _mta-sts.<domain> TXT record (RFC 8461 §3.1). The lookup
// is here; the judging is the pure JudgeStsLookup (sts_record.h).
#ifndef MTASTS_CHECKS_TXT_TXT_CHECK_H_
#define MTASTS_CHECKS_TXT_TXT_CHECK_H_

#include "checks/check.h"
#include "checks/txt/sts_record.h"

namespace mtasts::checks {

class TxtCheck : public Check {
 public:
  std::string_view name() const override { return "txt"; }
  int default_weight() const override { return 15; }
  const FindingTable& findings() const override { return TxtFindings(); }
  void Run(CheckContext& ctx, DoneCallback done) override;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TXT_TXT_CHECK_H_
