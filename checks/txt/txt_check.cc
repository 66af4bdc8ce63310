#include "checks/txt/txt_check.h"

#include <utility>

#include "checks/txt/sts_record.h"

namespace mtasts::checks {

void TxtCheck::Run(CheckContext& ctx, DoneCallback done) {
  ctx.dns().Query("_mta-sts." + ctx.domain(), net::RrType::kTxt,
                  [&ctx, done = std::move(done)](net::DnsResult result) mutable {
                    ctx.RecordLookup(result);
                    done(JudgeStsLookup(result, &ctx.evidence()));
                  });
}

}  // namespace mtasts::checks
