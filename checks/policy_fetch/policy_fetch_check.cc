#include "checks/policy_fetch/policy_fetch_check.h"

#include "checks/policy_fetch/policy_fetch_judge.h"

namespace mtasts::checks {

void PolicyFetchCheck::Run(CheckContext& ctx, DoneCallback done) {
  // The fetch already happened (Input::kPolicy): judging it is local work.
  done(JudgePolicyFetch(ctx.policy(), ctx.evidence().mutable_policy()));
}

}  // namespace mtasts::checks
