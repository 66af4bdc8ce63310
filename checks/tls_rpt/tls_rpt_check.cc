#include "checks/tls_rpt/tls_rpt_check.h"

#include <utility>

#include "checks/tls_rpt/tlsrpt_record.h"

namespace mtasts::checks {

void TlsRptCheck::Run(CheckContext& ctx, DoneCallback done) {
  ctx.dns().Query("_smtp._tls." + ctx.domain(), net::RrType::kTxt,
                  [&ctx, done = std::move(done)](net::DnsResult result) mutable {
                    ctx.RecordLookup(result);
                    done(JudgeTlsRptLookup(result, ctx.evidence().mutable_tls_rpt()));
                  });
}

}  // namespace mtasts::checks
