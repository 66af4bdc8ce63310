#include "checks/policy_content/policy_content_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/policy_content/policy_judge.h"
#include "checks/common/policy.h"

namespace mtasts::checks {

void PolicyContentCheck::Run(CheckContext& ctx, DoneCallback done) {
  const PolicyFetch& fetch = ctx.policy();
  const PolicyFetchAttempt* chosen = fetch.chosen_attempt();
  auto unreachable = [](const net::DnsResult& r) {
    return net::IsOwnResolverFailure(r.outcome) || r.outcome == net::DnsOutcome::kCancelled;
  };
  if (chosen == nullptr && fetch.attempts.empty() &&
      (unreachable(fetch.a_lookup) || unreachable(fetch.aaaa_lookup))) {
    // Our resolver, not the domain, failed: we cannot tell whether a policy
    // is in force.
    done(InconclusiveLookupVerdict(
        unreachable(fetch.a_lookup) ? fetch.a_lookup : fetch.aaaa_lookup,
        absl::StrCat("address lookup of ", fetch.host)));
    return;
  }
  if (chosen == nullptr) {
    // No policy is in force: none of the 35 points (docs/design.md §5.3), and the
    // policy_fetch findings say why.
    CheckVerdict verdict;
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = "No policy could be fetched, so there is none to judge.";
    verdict.findings.push_back(PolicyFindings().Make(
        v1::POLICY_UNAVAILABLE,
        absl::StrCat("No address of ", fetch.host, " answered ", fetch.url, " with HTTP 200."),
        fetch.url));
    done(std::move(verdict));
    return;
  }
  done(JudgePolicyContent(fetch.parsed, chosen->result.body, fetch.url,
                          ctx.evidence().mutable_policy()));
}

}  // namespace mtasts::checks
