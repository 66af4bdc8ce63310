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
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

// A lab (SignedZones, UnboundDox) started once for a whole test suite, or
// the reason the machine could not start it (its Start said kUnavailable),
// for each test to skip with, or fail with under CI=true:
//
//   static fakes::SuiteLab<SignedZones> zones_;
//   static void SetUpTestSuite() { zones_.Start(SignedZones::Start({})); }
//   static void TearDownTestSuite() { zones_.Stop(); }
//   void SetUp() override {
//     if (zones_.missing()) {
//       MTASTS_SKIP_OR_FAIL_IN_CI(*zones_.missing());
//     }
//     ASSERT_NE(zones_.get(), nullptr);
//   }
template <typename Lab>
class SuiteLab {
 public:
  // Keeps the lab, or the reason it is missing; any other error fails the
  // suite's set-up.
  void Start(absl::StatusOr<std::unique_ptr<Lab>> started) {
    if (started.status().code() == absl::StatusCode::kUnavailable) {
      missing_ = std::string(started.status().message());
      return;
    }
    ASSERT_TRUE(started.ok()) << started.status();
    lab_ = *std::move(started);
  }
  void Stop() { lab_.reset(); }

  // Why the lab could not start on this machine; nullopt when it did (or
  // failed otherwise).
  const std::optional<std::string>& missing() const { return missing_; }
  Lab* get() const { return lab_.get(); }
  Lab* operator->() const { return lab_.get(); }

 private:
  std::unique_ptr<Lab> lab_;
  std::optional<std::string> missing_;
};

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
