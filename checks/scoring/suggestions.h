// The suggested policy and TXT record, with notes saying why each line
// changed (see aggregator.h). Internal to //checks/scoring:aggregator.
#ifndef MTASTS_CHECKS_SCORING_SUGGESTIONS_H_
#define MTASTS_CHECKS_SCORING_SUGGESTIONS_H_

#include <string>
#include <vector>

#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring::internal {

struct Suggestions {
  std::string policy;
  std::string txt;
  std::vector<std::string> notes;
};

// What the domain should publish, changing only what the findings ask for:
// the served mode is kept (a suggestion never weakens a policy), the served
// mx patterns that match an MX host are kept as written, hosts no pattern
// matches are added by exact name (a wildcard would also cover hosts the
// domain never chose), stale patterns dropped, an enforce max_age under a
// day raised. Nothing is suggested when that equals the served policy; the
// notes say why each line changed, or why there is no suggestion.
Suggestions Suggest(const v1::DomainReport& report, v1::MtaStsState state);

}  // namespace mtasts::checks::scoring::internal

#endif  // MTASTS_CHECKS_SCORING_SUGGESTIONS_H_
