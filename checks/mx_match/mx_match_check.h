// The mx_match check: every MX host against the fetched policy's mx patterns
// (RFC 8461 §4.1). Needs the MX set and the policy fetch; the judging is the
// pure JudgeMxMatch (mx_pattern.h).
#ifndef MTASTS_CHECKS_MX_MATCH_MX_MATCH_CHECK_H_
#define MTASTS_CHECKS_MX_MATCH_MX_MATCH_CHECK_H_

#include "checks/check.h"
#include "checks/mx_match/mx_match_judge.h"

namespace mtasts::checks {

class MxMatchCheck : public Check {
 public:
  std::string_view name() const override { return "mx_match"; }
  int default_weight() const override { return 10; }
  const FindingTable& findings() const override { return MxMatchFindings(); }
  std::vector<Input> inputs() const override { return {Input::kMxSet, Input::kPolicy}; }
  void Run(CheckContext& ctx, DoneCallback done) override;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_MATCH_MX_MATCH_CHECK_H_
