// Test prerequisites the machine may lack (nsd and ldnsutils for
// SignedZones, root for port 53): without one a test skips on a developer's
// machine but fails in CI.
//
// CI sets CI=true (.bazelrc passes it into tests with --test_env=CI), runs
// scripts/ensure_deps.sh and runs as root, so there a missing prerequisite is
// a broken set-up that must not pass as a skipped test.
//
//   auto zones = SignedZones::Start({});
//   if (zones.status().code() == absl::StatusCode::kUnavailable) {
//     MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().message());
//   }
#ifndef MTASTS_TESTS_FAKES_PREREQUISITE_H_
#define MTASTS_TESTS_FAKES_PREREQUISITE_H_

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace mtasts::fakes {

// True when the environment variable CI is "true" (any case) or "1".
inline bool InCi() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  const std::string value = absl::AsciiStrToLower(ci);
  return value == "true" || value == "1";
}

}  // namespace mtasts::fakes

// Skips the current test (or fails it under CI=true) and returns, saying
// `reason`. Only where a test may return: TEST bodies and SetUp().
#define MTASTS_SKIP_OR_FAIL_IN_CI(reason)                                             \
  switch (0)                                                                          \
  case 0:                                                                             \
  default:                                                                            \
    if (!::mtasts::fakes::InCi())                                                     \
      GTEST_SKIP() << (reason);                                                       \
    else                                                                              \
      GTEST_FAIL() << "missing test prerequisite: " << (reason)                       \
                   << "\nCI=true, so this fails instead of skipping: CI must install " \
                      "what scripts/ensure_deps.sh lists and run the tests as root."

#endif  // MTASTS_TESTS_FAKES_PREREQUISITE_H_
