// MxMatchCheck's glue: it matches the run's MX set (Input::kMxSet) against
// the run's parsed policy (Input::kPolicy), writes matched_pattern into the
// evidence's MX hosts, and reports once, without network work of its own.
#include "checks/mx_match/mx_match_check.h"

#include <memory>

#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using testing::FakeCheckContext;
using testing::kWait;

constexpr char kBody[] =
    "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n";

class MxMatchCheckTest : public testing::LocalCheckTest<MxMatchCheck> {
 protected:
  void SetMx(const std::vector<std::string>& hosts) {
    ctx_->mutable_mx_set() = testing::ScriptedMxSet("example.test", hosts);
    testing::AddMxHostsToEvidence(ctx_->mutable_mx_set(), &ctx_->mutable_evidence());
  }
};

TEST_F(MxMatchCheckTest, Metadata) {
  testing::ExpectMetadata(check_, {"mx_match", 10, {Input::kMxSet, Input::kPolicy}, false});
}

TEST_F(MxMatchCheckTest, CoveredHostsPassAndNameTheirPattern) {
  SetMx({"mx1.example.test", "mx2.example.test"});
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kBody);
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(testing::HasFinding(verdict, v1::MX_MATCH_ALL_COVERED));
  const v1::Evidence evidence = ctx_->EvidenceCopy();
  ASSERT_EQ(evidence.mx_hosts_size(), 2);  // the resolver's entries, not new ones
  EXPECT_EQ(evidence.mx_hosts(0).matched_pattern(), "*.example.test");
  EXPECT_EQ(evidence.mx_hosts(1).matched_pattern(), "*.example.test");
  EXPECT_FALSE(evidence.has_policy());
}

TEST_F(MxMatchCheckTest, UncoveredHostFails) {
  SetMx({"mx1.example.test", "mail.elsewhere.test"});
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kBody);
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_FAIL);
  EXPECT_TRUE(testing::HasFinding(verdict, v1::MX_MATCH_HOST_UNMATCHED));
  const v1::Evidence evidence = ctx_->EvidenceCopy();
  ASSERT_EQ(evidence.mx_hosts_size(), 2);
  EXPECT_EQ(evidence.mx_hosts(1).matched_pattern(), "");
}

TEST_F(MxMatchCheckTest, ReadsTheRunsParsedPolicy) {
  SetMx({"mx1.example.test"});
  // The chosen body would cover the host; the run's parse (which the check
  // must use) names another pattern.
  PolicyFetch fetch = testing::ScriptedPolicyFetch("example.test", 200, kBody);
  fetch.parsed.mx = {"mx.other.test"};
  ctx_->mutable_policy() = fetch;
  CheckVerdict verdict = RunCheck();
  EXPECT_TRUE(testing::HasFinding(verdict, v1::MX_MATCH_HOST_UNMATCHED));
}

TEST_F(MxMatchCheckTest, FailedMxLookupFailsWithoutMatching) {
  SetMx({});
  ctx_->mutable_mx_set().lookup.outcome = net::DnsOutcome::kServFail;
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kBody);
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_FAIL);
  EXPECT_DOUBLE_EQ(verdict.fraction, 0);
}

TEST_F(MxMatchCheckTest, UnreachableResolverIsInconclusive) {
  SetMx({});
  ctx_->mutable_mx_set().lookup.outcome = net::DnsOutcome::kUnreachable;
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kBody);
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_INCONCLUSIVE);
}

}  // namespace
}  // namespace mtasts::checks
