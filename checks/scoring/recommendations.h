// The report's actions (recommendations) and good practice (see
// aggregator.h). Internal to //checks/scoring:aggregator.
#ifndef MTASTS_CHECKS_SCORING_RECOMMENDATIONS_H_
#define MTASTS_CHECKS_SCORING_RECOMMENDATIONS_H_

#include <string>
#include <vector>

#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring::internal {

// Most severe first, then domain before checks, then report order; findings
// asking for the same change are one action listing all their codes.
// Reads suggested_policy, so the suggestions come first.
std::vector<v1::Recommendation> Actions(const v1::DomainReport& report, v1::MtaStsState state);

// General good practice, each at most once and only where it applies; never
// a repeat of an action.
// Reads suggested_txt, so the suggestions come first.
std::vector<std::string> GoodPractice(const v1::DomainReport& report, v1::MtaStsState state);

}  // namespace mtasts::checks::scoring::internal

#endif  // MTASTS_CHECKS_SCORING_RECOMMENDATIONS_H_
