// PolicyContentCheck's glue: it reads the run's parsed policy (Input::kPolicy)
// and the chosen body, writes evidence.policy, and reports once, without any
// network work of its own.
#include "checks/policy_content/policy_content_check.h"

#include <memory>

#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {


using testing::kEnforcePolicyBody;

using PolicyContentCheckTest = testing::LocalCheckTest<PolicyContentCheck>;

TEST_F(PolicyContentCheckTest, Metadata) {
  testing::ExpectMetadata(check_, {"policy_content", 35, {Input::kPolicy}, false});
}

TEST_F(PolicyContentCheckTest, ValidPolicyPassesAndFillsPolicyEvidence) {
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 200, kEnforcePolicyBody);
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(testing::HasFinding(verdict, v1::POLICY_VALID));
  const v1::Evidence evidence = ctx_->EvidenceCopy();
  EXPECT_TRUE(evidence.policy().valid());
  EXPECT_EQ(evidence.policy().mode(), v1::POLICY_MODE_ENFORCE);
  EXPECT_EQ(evidence.policy().max_age(), 604800);
  ASSERT_EQ(evidence.policy().mx_size(), 1);
  EXPECT_EQ(evidence.policy().mx(0), "mx1.example.test");
  EXPECT_EQ(evidence.sts_records_size(), 0);
  EXPECT_EQ(evidence.mx_hosts_size(), 0);
}

TEST_F(PolicyContentCheckTest, ReadsTheRunsParsedPolicy) {
  // The fetcher parses the chosen body once for every check; this check must
  // judge that parse, not a policy of its own making.
  PolicyFetch fetch = testing::ScriptedPolicyFetch("example.test", 200, kEnforcePolicyBody);
  fetch.parsed.mode = v1::POLICY_MODE_TESTING;
  ctx_->mutable_policy() = fetch;
  RunCheck();
  EXPECT_EQ(ctx_->EvidenceCopy().policy().mode(), v1::POLICY_MODE_TESTING);
}

TEST_F(PolicyContentCheckTest, InvalidPolicyFails) {
  ctx_->mutable_policy() =
      testing::ScriptedPolicyFetch("example.test", 200, "version: STSv1\nmode: sometimes\n");
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_FAIL);
  EXPECT_FALSE(testing::HasFinding(verdict, v1::POLICY_VALID));
  EXPECT_FALSE(ctx_->EvidenceCopy().policy().valid());
}

TEST_F(PolicyContentCheckTest, NoPolicyFetchedFailsWithUnavailable) {
  ctx_->mutable_policy() = testing::ScriptedPolicyFetch("example.test", 404, "gone");
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_FAIL);
  EXPECT_DOUBLE_EQ(verdict.fraction, 0);
  EXPECT_TRUE(testing::HasFinding(verdict, v1::POLICY_UNAVAILABLE));
}

TEST_F(PolicyContentCheckTest, UnreachableResolverIsInconclusive) {
  ctx_->mutable_policy() = testing::UnresolvedPolicyFetch(
      "example.test", net::DnsOutcome::kUnreachable, net::DnsOutcome::kNoData);
  CheckVerdict verdict = RunCheck();
  EXPECT_EQ(verdict.status, v1::CHECK_STATUS_INCONCLUSIVE);
}

}  // namespace
}  // namespace mtasts::checks
