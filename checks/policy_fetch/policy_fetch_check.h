// The policy_fetch check: how the run's fetch of the policy went (RFC 8461
// §3.3). The fetch is the run's shared Input::kPolicy (checks/inputs/policy_fetcher.h); the
// judging is the pure JudgePolicyFetch (policy_fetch_judge.h).
#ifndef MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_CHECK_H_
#define MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_CHECK_H_

#include "checks/check.h"
#include "checks/policy_fetch/policy_fetch_findings.h"

namespace mtasts::checks {

class PolicyFetchCheck : public Check {
 public:
  std::string_view name() const override { return "policy_fetch"; }
  int default_weight() const override { return 15; }
  const FindingTable& findings() const override { return PolicyFetchFindings(); }
  std::vector<Input> inputs() const override { return {Input::kPolicy}; }
  void Run(CheckContext& ctx, DoneCallback done) override;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_CHECK_H_
