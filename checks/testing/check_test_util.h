// Assertions shared by the plugins' *_check_test files.
#ifndef MTASTS_CHECKS_TESTING_CHECK_TEST_UTIL_H_
#define MTASTS_CHECKS_TESTING_CHECK_TEST_UTIL_H_

#include <algorithm>
#include <string>

#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::checks::testing {

// Generous: a loaded 2-core machine runs several test binaries at once.
inline constexpr absl::Duration kWait = absl::Seconds(30);

inline bool HasFinding(const CheckVerdict& verdict, v1::FindingCode code) {
  return std::any_of(verdict.findings.begin(), verdict.findings.end(),
                     [code](const v1::Finding& f) { return f.code() == code; });
}

// Every finding in `verdict` has a row in the check's own table, which names
// the check (docs/findings.md is rendered from those tables).
inline void ExpectFindingsFromOwnTable(const Check& check, const CheckVerdict& verdict) {
  for (const v1::Finding& finding : verdict.findings) {
    const auto rows = check.findings().rows();
    auto row = std::find_if(rows.begin(), rows.end(), [&](const FindingInfo& info) {
      return info.code == finding.code();
    });
    ASSERT_NE(row, rows.end()) << v1::FindingCode_Name(finding.code()) << " is not in "
                               << check.name() << "'s findings()";
    EXPECT_EQ(std::string(row->check), check.name()) << v1::FindingCode_Name(finding.code());
  }
}

// Waits until the fake DNS server has answered everything it holds and the
// context's reactor has handled what that delivered, so a late `done` would
// have been seen.
inline void SettleDns(const fakes::FakeDnsServer& dns, FakeCheckContext& ctx) {
  const absl::Time until = absl::Now() + kWait;
  while (dns.outstanding() > 0 && absl::Now() < until) {
    ctx.RunOnReactor([] {});
  }
  ASSERT_EQ(dns.outstanding(), 0);
  // The replies are in the sockets' buffers: two turns of the loop read them.
  ctx.RunOnReactor([] {});
  ctx.RunOnReactor([] {});
}

}  // namespace mtasts::checks::testing

#endif  // MTASTS_CHECKS_TESTING_CHECK_TEST_UTIL_H_
