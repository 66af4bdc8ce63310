// Finding code names for test expectations, so that a mismatch prints names
// rather than numbers:
//
//   EXPECT_EQ(testing::CodeNames(verdict.findings), testing::CodeNames(want));
#ifndef MTASTS_CHECKS_TESTING_FINDING_NAMES_H_
#define MTASTS_CHECKS_TESTING_FINDING_NAMES_H_

#include <set>
#include <string>
#include <vector>

#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks::testing {

inline std::set<std::string> CodeNames(const std::set<v1::FindingCode>& codes) {
  std::set<std::string> names;
  for (v1::FindingCode code : codes) names.insert(v1::FindingCode_Name(code));
  return names;
}

inline std::set<std::string> CodeNames(const std::vector<v1::Finding>& findings) {
  std::set<std::string> names;
  for (const v1::Finding& f : findings) names.insert(v1::FindingCode_Name(f.code()));
  return names;
}

}  // namespace mtasts::checks::testing

#endif  // MTASTS_CHECKS_TESTING_FINDING_NAMES_H_
