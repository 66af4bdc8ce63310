#include "checks/mx_match/mx_match_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/common/mx_pattern.h"
#include "checks/mx_match/mx_match_judge.h"
#include "checks/common/policy.h"

namespace mtasts::checks {

void MxMatchCheck::Run(CheckContext& ctx, DoneCallback done) {
  const MxSet& mx = ctx.mx_set();
  const net::DnsOutcome outcome = mx.lookup.outcome;
  if (net::IsOwnResolverFailure(outcome) || outcome == net::DnsOutcome::kCancelled) {
    done(InconclusiveLookupVerdict(mx.lookup, absl::StrCat("MX lookup of ", ctx.domain())));
    return;
  }
  if (outcome != net::DnsOutcome::kAnswer && outcome != net::DnsOutcome::kNoData) {
    // The domain's own zone failed us (the MX_LOOKUP_FAILED domain finding
    // says how): nothing to match, and the domain's fault (docs/design.md §5.2).
    CheckVerdict verdict;
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = absl::StrCat("The MX lookup failed (", DnsOutcomeWords(outcome),
                                   "), so the MX hosts could not be matched.");
    done(std::move(verdict));
    return;
  }
  const ParsedPolicy& policy = ctx.policy().parsed;
  // Senders match only against a valid policy; without one the judge skips.
  const v1::PolicyMode mode = policy.valid ? policy.mode : v1::POLICY_MODE_UNSPECIFIED;
  MxHostSet hosts{ctx.domain(), mx.hosts, mx.null_mx};
  done(JudgeMxMatch(policy.valid ? policy.mx : std::vector<std::string>{}, mode, hosts,
                    &ctx.evidence()));
}

}  // namespace mtasts::checks
