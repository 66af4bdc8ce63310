// The report's summary: 2 to 5 plain-English sentences (see aggregator.h).
// Internal to //checks/scoring:aggregator.
#ifndef MTASTS_CHECKS_SCORING_SUMMARY_H_
#define MTASTS_CHECKS_SCORING_SUMMARY_H_

#include <string>

#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring::internal {

// State; score and results (or, when `judged` is false, that nothing could be
// judged); the worst problem; checks not run; checks left out of the score.
std::string Summary(const v1::DomainReport& report, v1::MtaStsState state, bool judged);

}  // namespace mtasts::checks::scoring::internal

#endif  // MTASTS_CHECKS_SCORING_SUMMARY_H_
