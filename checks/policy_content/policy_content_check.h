// The policy_content check: the fetched policy's syntax and choices (RFC 8461
// §3.2). Needs the run's policy fetch (Input::kPolicy); the judging is the
// pure JudgePolicyContent (policy.h).
#ifndef MTASTS_CHECKS_POLICY_CONTENT_POLICY_CONTENT_CHECK_H_
#define MTASTS_CHECKS_POLICY_CONTENT_POLICY_CONTENT_CHECK_H_

#include "checks/check.h"
#include "checks/common/policy.h"

namespace mtasts::checks {

class PolicyContentCheck : public Check {
 public:
  std::string_view name() const override { return "policy_content"; }
  int default_weight() const override { return 35; }
  const FindingTable& findings() const override { return PolicyFindings(); }
  std::vector<Input> inputs() const override { return {Input::kPolicy}; }
  void Run(CheckContext& ctx, DoneCallback done) override;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_POLICY_CONTENT_POLICY_CONTENT_CHECK_H_
