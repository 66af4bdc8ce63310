// What a check concludes: its status, the share of its points earned, its
// findings and a one-sentence summary. Kept apart from check.h so that the
// pure judges (txt, tls_rpt, ...) and their tests and fuzzers depend on the
// proto types alone, not on the reactor or the resolver.
//
//   CheckVerdict v;
//   v.status = v1::CHECK_STATUS_PASS;
//   v.fraction = 1;
//   v.findings.push_back(TxtFindings().Make(v1::TXT_VALID, "..."));
//   v.summary = "One valid v=STSv1 record, id 2024a.";
#ifndef MTASTS_CHECKS_VERDICT_H_
#define MTASTS_CHECKS_VERDICT_H_

#include <string>
#include <vector>

#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {

// What a check reports.
struct CheckVerdict {
  v1::CheckStatus status = v1::CHECK_STATUS_INCONCLUSIVE;
  // Share of the check's points earned, 0 to 1. Ignored for INCONCLUSIVE,
  // SKIPPED and NOT_RUN, whose points leave the score's denominator.
  double fraction = 0;
  std::vector<v1::Finding> findings;
  // One sentence for the report ("One valid v=STSv1 record, id 2024a.").
  std::string summary;
};

// PASS, WARN and FAIL: the statuses with a verdict, whose points count in the
// score. INCONCLUSIVE, SKIPPED and NOT_RUN leave its denominator.
inline bool HasVerdict(v1::CheckStatus status) {
  return status == v1::CHECK_STATUS_PASS || status == v1::CHECK_STATUS_WARN ||
         status == v1::CHECK_STATUS_FAIL;
}

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_VERDICT_H_
