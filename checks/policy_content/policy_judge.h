// Judging the policy file a run fetched (RFC 8461 §3.2), for the
// policy_content check: validity, mode and max_age become its verdict.
//
//   ParsedPolicy p = ParsePolicy(body);  // checks/common/policy.h
//   CheckVerdict v = JudgePolicyContent(p, body, url, evidence.mutable_policy());
//   // a valid enforce policy with max_age >= 86400: PASS, fraction 1.
//
// Scoring (docs/design.md §5.3, policy_content 35 points): enforce 30, testing
// 15, none 0, plus 5 for max_age >= 86400 in enforce; fraction = points/35.
// Pure functions.
#ifndef MTASTS_CHECKS_POLICY_CONTENT_POLICY_JUDGE_H_
#define MTASTS_CHECKS_POLICY_CONTENT_POLICY_JUDGE_H_

#include "absl/strings/string_view.h"
#include "checks/common/policy.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {

// Judges a parsed policy fetched from `url` (the findings' subject). Fills
// evidence->valid, mode, max_age (0 when absent or invalid), mx (as parsed)
// and body (the first kMaxPolicyBodyBytes, with non-UTF-8 bytes and control
// characters other than tab, CR and LF written as \xNN), replacing what was
// there; leaves the fetch's fields alone. `evidence` may be null. Status:
// PASS for a valid enforce policy with max_age >= 86400 and nothing worth a
// finding above INFO; WARN for any other valid policy (mode none included);
// FAIL (fraction 0) for an invalid one.
CheckVerdict JudgePolicyContent(const ParsedPolicy& policy,
                                absl::string_view body, absl::string_view url,
                                v1::PolicyEvidence* evidence);
// ParsePolicy(body), then the above.
CheckVerdict JudgePolicyContent(absl::string_view body, absl::string_view url,
                                v1::PolicyEvidence* evidence);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_POLICY_CONTENT_POLICY_JUDGE_H_
