// The RFC 8461 §3.2 case table of the policy judge's tests
// (policy_rfc_test.cc): policy bodies, what parsing each must give, and the
// findings it must raise. Data only; the expectations derived from a row
// (status, points) are in the test.
#ifndef MTASTS_CHECKS_POLICY_CONTENT_POLICY_RFC_CASES_H_
#define MTASTS_CHECKS_POLICY_CONTENT_POLICY_RFC_CASES_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "checks/policy_content/policy_test_util.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::policy_test_util {

inline constexpr v1::PolicyMode kEnforce = v1::POLICY_MODE_ENFORCE;
inline constexpr v1::PolicyMode kTesting = v1::POLICY_MODE_TESTING;
inline constexpr v1::PolicyMode kNone = v1::POLICY_MODE_NONE;
inline constexpr v1::PolicyMode kNoMode = v1::POLICY_MODE_UNSPECIFIED;

struct PolicyCase {
  std::string name;
  std::string body;
  bool valid;
  v1::PolicyMode mode;
  int64_t max_age;
  std::vector<std::string> mx;
  Codes codes;
};

inline void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }

// Every row of the table.
absl::Span<const PolicyCase> RfcPolicyCases();

}  // namespace mtasts::checks::policy_test_util

#endif  // MTASTS_CHECKS_POLICY_CONTENT_POLICY_RFC_CASES_H_
